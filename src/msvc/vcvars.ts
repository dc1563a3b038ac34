import { inputError } from '../core/errors';
import type { Log } from '../core/context';
import { parseSet, type EnvMap } from './environment';
import type { WindowsHost } from './installs';
import { TOOLSET_FOLDER } from './toolsets';

/** A vcvarsall.bat architecture: the compiler's host and the code's target. */
export interface VcArch {
  host: string;
  target: string;
  /** The argument vcvarsall takes: x64, x64_arm64, ... */
  name: string;
}

/** Every architecture vcvarsall.bat documents (amd64 is read as x64). */
const VCVARS_ARCHS = [
  'x64',
  'x86',
  'arm64',
  'x64_x86',
  'x64_arm',
  'x64_arm64',
  'x86_x64',
  'x86_arm',
  'x86_arm64',
  'arm64_x64',
  'arm64_x86',
];

export function parseArch(value: string): VcArch {
  const name = value.toLowerCase().replace(/amd64/g, 'x64');
  if (!VCVARS_ARCHS.includes(name)) {
    throw inputError(
      'arch',
      `"${value}" is not a vcvarsall architecture`,
      `Allowed: ${VCVARS_ARCHS.join(', ')} (amd64 for x64 too)`,
    );
  }
  const [host, target = host] = name.split('_') as [string, string?];
  return { host, target, name };
}

/** Where a toolset keeps the compiler for this arch, under VC\Tools\MSVC\<toolset>. */
export const compilerDir = (arch: VcArch): string => `bin\\Host${arch.host}\\${arch.target}`;

const BEGIN = 'SAGEWHEELS-VCVARSALL-BEGIN';
const END = 'SAGEWHEELS-VCVARSALL-END';

// cmd.exe parses the whole line: `%` expands even inside quotes, `call` doubles `^`, `!` expands
// where delayed expansion is on, and `"` would end the quoting; a path holding one is refused.
const CMD_SAFE_PATH = /^[^"%^!\r\n]+$/;

/**
 * The line cmd.exe runs: the environment before, vcvarsall, the environment after, in one process
 * so that both `set` listings come from the same shell. Only vetted pieces go in: the arch from
 * VCVARS_ARCHS, a toolset that names a VC\Tools\MSVC folder, and a path cmd reads literally.
 */
export function vcvarsCommandLine(vcvarsall: string, arch: VcArch, toolset?: string): string {
  if (!CMD_SAFE_PATH.test(vcvarsall))
    throw new Error(`${vcvarsall}: the path holds a character cmd.exe would interpret (" % ^ !)`);
  if (!VCVARS_ARCHS.includes(arch.name))
    throw new Error(`vcvarsall architecture "${arch.name}" is not one of ${VCVARS_ARCHS.join(', ')}`);
  if (toolset !== undefined && !TOOLSET_FOLDER.test(toolset))
    throw new Error(`toolset "${toolset}" is not a 14.NN.BBBBB folder name`);
  const args = [arch.name, ...(toolset ? [`-vcvars_ver=${toolset}`] : [])].join(' ');
  return `set && echo ${BEGIN} && call "${vcvarsall}" ${args} && echo ${END} && set`;
}

/** What vcvarsall printed, and the environment without and with it. */
export interface VcvarsRun {
  before: EnvMap;
  after: EnvMap;
  messages: string[];
}

// vcvarsall exits 0 after `[ERROR:vcvars.bat] ...`; cmd's line limit (8191) hits it on long PATHs.
const FAILURE = /^\s*\[ERROR:|The input line is too long/;

/** Splits cmd's output at the markers; throws when vcvarsall stopped or said it failed. */
export function readVcvarsOutput(stdout: string, stderr: string, code: number, command: string): VcvarsRun {
  const lines = stdout.split(/\r?\n/);
  const begin = lines.findIndex((line) => line.trim() === BEGIN);
  const end = lines.findIndex((line) => line.trim() === END);
  const messages = [...lines.slice(begin + 1, end < 0 ? undefined : end), ...stderr.split(/\r?\n/)].filter(
    (l) => l.trim() !== '',
  );
  const failures = messages.filter((line) => FAILURE.test(line));
  if (begin < 0 || end < 0 || failures.length > 0 || code !== 0) {
    const why = failures.length > 0 ? failures : messages.slice(-20);
    throw new Error(`${command} failed (exit code ${code}):\n${why.join('\n')}`);
  }
  return { before: parseSet(lines.slice(0, begin)), after: parseSet(lines.slice(end + 1)), messages };
}

/** Runs vcvarsall.bat in cmd.exe and reads the environment it leaves. */
export async function runVcvarsall(
  vcvarsall: string,
  arch: VcArch,
  toolset: string | undefined,
  host: WindowsHost,
  log: Log,
): Promise<VcvarsRun> {
  const line = vcvarsCommandLine(vcvarsall, arch, toolset);
  const command = `vcvarsall.bat ${arch.name}${toolset ? ` -vcvars_ver=${toolset}` : ''}`;
  return log.group(command, async () => {
    const cmd = host.env.ComSpec ?? 'cmd.exe';
    // /d skips AutoRun commands, /v:off keeps `!` literal, and /s with verbatim arguments hands the
    // quoted line to cmd untouched: libuv would escape its inner quotes in a way cmd does not read.
    const result = await host.runner(cmd, ['/d', '/v:off', '/s', '/c', `"${line}"`], {
      env: host.env,
      windowsVerbatimArguments: true,
    });
    const run = readVcvarsOutput(result.stdout, result.stderr, result.code, command);
    for (const message of run.messages) log.info(message);
    return run;
  });
}
