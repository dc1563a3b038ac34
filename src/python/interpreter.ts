import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError } from '../core/errors';
import { runProcess, type ProcessRunner } from '../core/exec';
import { compareVersions } from '../core/version';

export interface PythonInfo {
  executable: string;
  /** "3.12.1" */
  version: string;
  prefix: string;
  basePrefix: string;
  /** site-packages folders on sys.path (purelib and platlib, deduplicated). */
  sitePackages: string[];
  /** The standard library's folder (where ensurepip keeps its wheels). */
  stdlib?: string;
  /** Where a distribution's ensurepip takes its wheels instead (Debian, Ubuntu: /usr/share/python-wheels). */
  wheelPkgDir?: string;
}

const PROBE = [
  'import json, sys, sysconfig',
  'paths = sysconfig.get_paths()',
  'print(json.dumps({"executable": sys.executable, "version": "%d.%d.%d" % sys.version_info[:3],',
  ' "prefix": sys.prefix, "basePrefix": sys.base_prefix,',
  ' "sitePackages": sorted({paths["purelib"], paths["platlib"]}), "stdlib": paths["stdlib"],',
  ' "wheelPkgDir": sysconfig.get_config_var("WHEEL_PKG_DIR") or None}))',
].join('\n');

/** What an interpreter says of itself, or undefined when it does not run (a pyenv shim without that version). */
export async function inspectPython(
  executable: string,
  runner: ProcessRunner = runProcess,
): Promise<PythonInfo | undefined> {
  try {
    const result = await runner(executable, ['-c', PROBE]);
    return result.code === 0 ? (JSON.parse(result.stdout.trim().split('\n').pop() ?? '') as PythonInfo) : undefined;
  } catch {
    return undefined;
  }
}

async function versionDirs(root: string | undefined, version: string): Promise<string[]> {
  if (!root) return [];
  const names = await readdir(root).catch(() => [] as string[]);
  return names
    .filter((name) => name === version || name.startsWith(`${version}.`))
    .sort((a, b) => compareVersions(b, a))
    .map((name) => path.join(root, name));
}

/**
 * Where self-hosted runners keep a Python of this version, most specific first: the runner's
 * tool cache (actions/setup-python), pyenv, the Windows launcher, then pythonX.Y on PATH.
 */
export async function pythonCandidates(
  version: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): Promise<string[][]> {
  const windows = platform === 'win32';
  const candidates: string[][] = [];
  for (const dir of await versionDirs(env.RUNNER_TOOL_CACHE && path.join(env.RUNNER_TOOL_CACHE, 'Python'), version)) {
    candidates.push([windows ? path.join(dir, 'x64', 'python.exe') : path.join(dir, 'x64', 'bin', 'python3')]);
  }
  const pyenvRoot = env.PYENV_ROOT ?? (env.HOME ? path.join(env.HOME, '.pyenv') : undefined);
  for (const dir of await versionDirs(pyenvRoot && path.join(pyenvRoot, 'versions'), version)) {
    candidates.push([windows ? path.join(dir, 'python.exe') : path.join(dir, 'bin', 'python3')]);
  }
  if (windows) candidates.push(['py', `-${version}`]);
  candidates.push([windows ? 'python' : `python${version}`]);
  return candidates;
}

const looksLikePath = (spec: string): boolean => /[\\/]/.test(spec) || spec.endsWith('.exe');

/** `python` as a path to an interpreter, or a version ("3.12") found on the runner. */
export async function findPython(
  spec: string,
  runner: ProcessRunner = runProcess,
  env = process.env,
): Promise<PythonInfo> {
  if (looksLikePath(spec)) {
    const info = await inspectPython(spec, runner);
    if (!info) throw new ConfigurationError(`python: "${spec}" does not run as a Python interpreter`);
    return atFloor(spec, info.version) && info;
  }
  if (!/^3\.\d+$/.test(spec)) {
    throw new ConfigurationError(`python: "${spec}" is neither an interpreter path nor a version like 3.12`);
  }
  atFloor(spec, spec);
  const tried: string[] = [];
  for (const [command, ...args] of await pythonCandidates(spec, env)) {
    tried.push([command, ...args].join(' '));
    // The launcher form runs the probe itself; the others are inspected directly.
    const info =
      args.length > 0 ? await inspectLauncher(command!, args, runner) : await inspectPython(command!, runner);
    if (info && info.version.startsWith(`${spec}.`)) return info;
  }
  throw new ConfigurationError(
    `python: no Python ${spec} on this runner (looked at ${tried.join(', ')}). Install it (actions/setup-python, pyenv) or give an interpreter path`,
  );
}

/** The oldest CPython any torch sagewheels builds against was released for (torch 2.5: 3.9). */
export const PYTHON_FLOOR = '3.9';

/** Refuses a Python below the floor, whose own probe or pip would otherwise fail in a traceback. */
function atFloor(spec: string, version: string): true {
  if (compareVersions(version, PYTHON_FLOOR) < 0)
    throw new ConfigurationError(
      `python: "${spec}" is Python ${version}, older than ${PYTHON_FLOOR}. Give Python ${PYTHON_FLOOR} or newer (the oldest any supported torch was built for)`,
    );
  return true;
}

async function inspectLauncher(
  command: string,
  args: string[],
  runner: ProcessRunner,
): Promise<PythonInfo | undefined> {
  try {
    const result = await runner(command, [...args, '-c', 'import sys; print(sys.executable)']);
    return result.code === 0 ? inspectPython(result.stdout.trim(), runner) : undefined;
  } catch {
    return undefined;
  }
}
