import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ExecOptions, ExecResult } from '../../src/core/exec';
import type { WindowsHost } from '../../src/msvc/installs';

/**
 * A Windows runner for the msvc tests: a file system that holds what the scenario installs, a
 * vswhere that answers from the recorded fixture, and a cmd.exe that runs `set`, `echo` and a
 * model of vcvarsall.bat (its variables, its PATH order and its `[ERROR:` lines that exit 0).
 */

export const fixturesDir = path.join(import.meta.dirname, 'fixtures');
export const fixture = (name: string): string => readFileSync(path.join(fixturesDir, name), 'utf8');

/** Variables as cmd's `set` lists them: NAME=value, in name order ignoring case, CRLF. */
export function formatSet(env: Record<string, string>): string {
  return Object.entries(env)
    .sort(([a], [b]) => (a.toUpperCase() < b.toUpperCase() ? -1 : 1))
    .map(([name, value]) => `${name}=${value}\r\n`)
    .join('');
}

/** The runner environment of set-runner.txt. */
export function runnerEnv(): Record<string, string> {
  const lines = fixture('set-runner.txt').split('\r\n').filter(Boolean);
  return Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}

export interface FakeInstall {
  /** installationPath, as in vswhere.json */
  path: string;
  /** Toolset folders; the first is the install's default. */
  toolsets: string[];
  /** Compiler folders each toolset has (default: x64 on x64). */
  compilers?: string[];
}

export interface FakeWindowsOptions {
  installs: FakeInstall[];
  env?: Record<string, string>;
  vswhere?: 'recorded' | 'missing' | 'fails';
  /** Replaces cmd.exe's answer with a recorded one (stdout, and the exit code). */
  recordedCmd?: { stdout: string; stderr?: string; code?: number };
}

export interface Call {
  command: string;
  args: readonly string[];
  options?: ExecOptions;
}

const key = (file: string): string => file.toLowerCase();

function vcvarsVariables(
  install: FakeInstall,
  toolset: string,
  host: string,
  target: string,
  before: Record<string, string>,
) {
  const vs = install.path;
  const tools = `${vs}\\VC\\Tools\\MSVC\\${toolset}`;
  const kits = 'C:\\Program Files (x86)\\Windows Kits\\10';
  const major = install.path.includes('\\18\\') ? '18' : '17';
  const pathName = Object.keys(before).find((name) => name.toUpperCase() === 'PATH') ?? 'Path';
  return {
    INCLUDE: [
      `${tools}\\include`,
      `${kits}\\include\\10.0.26100.0\\ucrt`,
      `${kits}\\\\include\\10.0.26100.0\\\\um`,
    ].join(';'),
    LIB: [`${tools}\\lib\\${target}`, `${kits}\\lib\\10.0.26100.0\\ucrt\\${target}`, before.LIB]
      .filter(Boolean)
      .join(';'),
    LIBPATH: `${tools}\\lib\\${target}`,
    [pathName]: [
      `${tools}\\bin\\Host${host}\\${target}`,
      `${vs}\\Common7\\IDE\\`,
      `${kits}\\bin\\10.0.26100.0\\\\${host}`,
      before[pathName],
      `${vs}\\Common7\\IDE\\CommonExtensions\\Microsoft\\CMake\\Ninja`,
    ].join(';'),
    Platform: target,
    VCINSTALLDIR: `${vs}\\VC\\`,
    VCToolsInstallDir: `${tools}\\`,
    VCToolsVersion: toolset,
    VisualStudioVersion: `${major}.0`,
    VSCMD_ARG_HOST_ARCH: host,
    VSCMD_ARG_TGT_ARCH: target,
    VSINSTALLDIR: `${vs}\\`,
    __VSCMD_PREINIT_PATH: before[pathName] ?? '',
  };
}

const VSDEVCMD_FAILED =
  '[ERROR:VsDevCmd.bat] *** VsDevCmd.bat encountered errors. Environment may be incomplete and/or incorrect. ***';

/** vcvarsall.bat: the banner, or `[ERROR:` lines; either way it exits 0. */
function vcvarsall(install: FakeInstall, arch: string, version: string | undefined, before: Record<string, string>) {
  const [host = arch, target = host] = arch.split('_');
  const toolset = version ?? install.toolsets[0]!;
  const banner = [
    '*'.repeat(70),
    `** Visual Studio Developer Command Prompt v${install.path.includes('\\18\\') ? '18' : '17'}`,
    '*'.repeat(70),
  ];
  if (!install.toolsets.includes(toolset)) {
    return {
      messages: [
        ...banner,
        `[ERROR:vcvars.bat] Version '${toolset}' is not valid; directory does not exist`,
        VSDEVCMD_FAILED,
      ],
      after: before,
    };
  }
  if (
    !(install.compilers ?? ['bin\\Hostx64\\x64']).some((dir) => dir.toLowerCase() === `bin\\host${host}\\${target}`)
  ) {
    return {
      messages: [
        ...banner,
        `[ERROR:vcvars.bat] Host/Target architecture ${host}_${target} is not supported by toolset ${toolset}`,
        VSDEVCMD_FAILED,
      ],
      after: before,
    };
  }
  const after = { ...before, ...vcvarsVariables(install, toolset, host, target, before) };
  return { messages: [...banner, `[vcvarsall.bat] Environment initialized for: '${arch}'`], after };
}

const CMD_LINE =
  /^"set && echo (\S+) && call "([^"]+)\\VC\\Auxiliary\\Build\\vcvarsall\.bat" (\S+)(?: -vcvars_ver=(\S+))? && echo (\S+) && set"$/;

export function fakeWindows(options: FakeWindowsOptions): { host: WindowsHost; calls: Call[] } {
  const env = options.env ?? runnerEnv();
  // Windows paths ignore case: keyed lower-cased, listed as written.
  const files = new Map<string, string>();
  const add = (file: string) => files.set(key(file), file);
  const vswhere = 'C:\\Program Files (x86)\\Microsoft Visual Studio\\Installer\\vswhere.exe';
  if ((options.vswhere ?? 'recorded') !== 'missing') add(vswhere);
  for (const install of options.installs) {
    add(`${install.path}\\VC\\Auxiliary\\Build\\vcvarsall.bat`);
    for (const toolset of install.toolsets) {
      for (const dir of install.compilers ?? ['bin\\Hostx64\\x64'])
        add(`${install.path}\\VC\\Tools\\MSVC\\${toolset}\\${dir}\\cl.exe`);
    }
  }
  const calls: Call[] = [];
  const result = (stdout: string, code = 0, stderr = ''): ExecResult => ({ code, stdout, stderr });

  const host: WindowsHost = {
    env,
    fs: {
      exists: async (file) => files.has(key(file)),
      list: async (dir) => {
        const prefix = `${key(dir)}\\`;
        const inside = [...files].filter(([k]) => k.startsWith(prefix));
        return [...new Set(inside.map(([, file]) => file.slice(prefix.length).split('\\')[0]!))];
      },
    },
    runner: async (command, args, execOptions) => {
      calls.push({ command, args, options: execOptions });
      if (command === vswhere) {
        if (options.vswhere === 'fails') return result('', 87, 'Error 0x57: The parameter is incorrect.\r\n');
        const wanted = new Set(options.installs.map((i) => key(i.path)));
        const recorded = JSON.parse(fixture('vswhere.json')) as { installationPath: string }[];
        return result(
          `${JSON.stringify(
            recorded.filter((i) => wanted.has(key(i.installationPath))),
            null,
            2,
          )}\r\n`,
        );
      }
      if (command === env.ComSpec) {
        if (options.recordedCmd)
          return result(options.recordedCmd.stdout, options.recordedCmd.code, options.recordedCmd.stderr);
        const [, begin, vsPath, arch, version, end] = CMD_LINE.exec(args.at(-1) ?? '') ?? [];
        if (!begin || !vsPath || !arch || !end)
          throw new Error(`the fake cmd.exe does not know this command line: ${args.join(' ')}`);
        const install = options.installs.find((i) => i.path === vsPath);
        if (!install)
          return result(`${formatSet(env)}${begin} \r\n`, 1, 'The system cannot find the path specified.\r\n');
        const run = vcvarsall(install, arch, version, env);
        return result(
          `${formatSet(env)}${begin} \r\n${run.messages.map((m) => `${m}\r\n`).join('')}${end} \r\n${formatSet(run.after)}`,
        );
      }
      throw new Error(`the fake Windows has no ${command}`);
    },
  };
  return { host, calls };
}

/** The installs of vswhere.json, each with the toolset it ships as its default. */
export const VS_17_9: FakeInstall = {
  path: 'C:\\Program Files (x86)\\Microsoft Visual Studio\\2022\\BuildTools',
  toolsets: ['14.39.33519'],
};
export const VS_17_14: FakeInstall = {
  path: 'C:\\Program Files\\Microsoft Visual Studio\\2022\\Community',
  toolsets: ['14.44.35207'],
};
export const VS_18: FakeInstall = {
  path: 'C:\\Program Files\\Microsoft Visual Studio\\18\\Enterprise',
  toolsets: ['14.50.35717'],
};
export const VS_18_INSIDERS: FakeInstall = {
  path: 'C:\\Program Files\\Microsoft Visual Studio\\18\\Insiders',
  toolsets: ['14.50.35721'],
};
