import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { glob, lstat, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage, inputError } from '../core/errors';
import { readList } from '../core/list';
import { REPORT_SCHEMA, type Report } from '../verify/report';
import { wheelFiles } from '../wheel/files';
import { checkWheel, patternFolder } from '../wheel/integrity';
import { localLabel, parseWheelName } from '../wheel/name';

export interface LocalWheel {
  path: string;
  /** The file name, which is also the asset name. */
  name: string;
  size: number;
  /** GPU architectures it carries, when known (archs input or verify's report). */
  archs: string[];
}

/** `wheels` as users give it: build's JSON list of paths, or paths, folders and globs by line or comma. */
export function wheelPatterns(value: string): string[] {
  return readList(value, 'lines', 'wheels');
}

/** The files a path or glob names, sorted. */
export async function matchFiles(pattern: string, cwd: string): Promise<string[]> {
  const matches = [pattern];
  if (/[*?[{]/.test(pattern)) {
    matches.length = 0;
    for await (const match of glob(pattern, { cwd })) matches.push(match);
  }
  const found = [];
  for (const match of matches) {
    const full = path.resolve(cwd, match);
    // lstat: a link is found (and refused by the caller where it matters), never followed.
    const info = await lstat(full).catch(() => undefined);
    if (info?.isFile() || (info?.isSymbolicLink() && (await stat(full).catch(() => undefined))?.isFile()))
      found.push(full);
  }
  return found.sort();
}

/**
 * A wheel file as publish takes it: a regular file (a link could point anywhere, a secret
 * included), named as GitHub will store it.
 */
async function acceptWheel(file: string): Promise<LocalWheel> {
  const name = path.basename(file);
  const info = await lstat(file);
  if (!info.isFile())
    throw inputError(
      'wheels',
      `${file} is ${info.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}`,
      'Give the built .whl files themselves',
    );
  try {
    parseWheelName(name);
  } catch {
    throw inputError(
      'wheels',
      `"${name}" is not a wheel file name`,
      'Give .whl files named name-version-python-abi-platform.whl',
    );
  }
  if (!/^[A-Za-z0-9._+-]+$/.test(name)) {
    throw inputError(
      'wheels',
      `"${name}" has characters GitHub renames in asset names`,
      'Wheel names use letters, digits and . _ + -',
    );
  }
  return { path: file, name, size: info.size, archs: [] };
}

/** Every wheel the patterns name, each checked (acceptWheel, then the integrity check of src/wheel/) before any request. */
export async function findWheels(patterns: readonly string[], cwd: string): Promise<LocalWheel[]> {
  const files: string[] = [];
  const folders = new Map<string, string>();
  for (const pattern of patterns) {
    const found = await wheelFiles([pattern], cwd);
    if (!path.isAbsolute(pattern)) {
      // A relative pattern names files inside the workspace; a linked folder must not lead out of it.
      const root = await realpath(cwd);
      for (const file of found) {
        const real = path.join(await realpath(path.dirname(file)), path.basename(file));
        if (real !== root && !real.startsWith(root + path.sep))
          throw inputError(
            'wheels',
            `${file} lies outside ${cwd} (through a link, at ${real})`,
            'Give wheel files inside the workspace, or their absolute paths',
          );
      }
    }
    const isFolder = (await stat(path.resolve(cwd, pattern)).catch(() => undefined))?.isDirectory();
    const folder = isFolder ? path.resolve(cwd, pattern) : patternFolder(pattern, cwd);
    for (const file of found) files.push(file);
    for (const file of found) if (!folders.has(file)) folders.set(file, folder);
  }
  const wheels = new Map<string, LocalWheel>();
  for (const file of new Set(files)) {
    const wheel = await acceptWheel(file);
    const other = wheels.get(wheel.name);
    if (other)
      throw inputError(
        'wheels',
        `two files are named ${wheel.name} (${other.path}, ${file})`,
        'Each asset name can be published once',
      );
    try {
      await checkWheel(file, { within: [folders.get(file)!] });
    } catch (error) {
      throw inputError('wheels', errorMessage(error), 'Publish only whole wheels, as build wrote them');
    }
    wheels.set(wheel.name, wheel);
  }
  return [...wheels.values()];
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** "8.0;9.0 12.0" or "sm_80, sm_120a" -> a list, as given. */
export const splitArchs = (value: string): string[] => readList(value, 'words', 'archs');

/** What verify's report says of one wheel. */
export interface Verified {
  /** The report it came from. */
  file: string;
  name: string;
  passed: boolean;
  problems: string[];
  /** The GPUs it runs on, "12.0 (PTX)" where only by JIT. */
  archs: string[];
}

/**
 * Each wheel of verify's JSON report (schema 1): whether it passed, and the GPU archs it runs
 * on. A report of another schema gives nothing, and the caller says so.
 */
export async function readReport(file: string): Promise<Verified[]> {
  const report = JSON.parse(await readFile(file, 'utf8')) as Partial<Report>;
  if (report.schema !== REPORT_SCHEMA || !Array.isArray(report.wheels)) {
    throw new Error(`not a verify report of schema ${REPORT_SCHEMA}`);
  }
  return report.wheels.map((wheel) => ({
    file,
    name: wheel.name,
    passed: wheel.passed !== false,
    problems: wheel.problems ?? [],
    archs: Object.entries(wheel.gpus ?? {}).map(([gpu, how]) => (how === 'ptx' ? `${gpu} (PTX)` : gpu)),
  }));
}

/** GPU archs per wheel name from verify's report. */
export async function archsFromReport(file: string): Promise<Map<string, string[]>> {
  return new Map((await readReport(file)).map((wheel) => [wheel.name, wheel.archs]));
}

export interface WheelFacts {
  python: string;
  torch: string;
  cuda: string;
  platform: string;
}

const pythonVersion = (tag: string, abi: string): string =>
  tag
    .split('.')
    .map((t) => {
      const digits = /^(?:cp|py|pp)(\d)(\d*)$/.exec(t);
      const version = digits ? (digits[2] ? `${digits[1]}.${digits[2]}` : digits[1]!) : t;
      return abi === 'abi3' ? `${version}+` : version;
    })
    .join(', ');

/** What a wheel is for, from its name: Python and platform tags, torch and CUDA from the local label (+cu128torch2.7.1). */
export function wheelFacts(name: string): WheelFacts {
  const wheel = parseWheelName(name);
  const label = localLabel(wheel.version) ?? '';
  const cuda = /cu(\d+)(\d)(?!\d)/.exec(label);
  const torch = /torch(\d+(?:\.\d+)*)/.exec(label);
  return {
    python: pythonVersion(wheel.python, wheel.abi),
    torch: torch?.[1] ?? '',
    cuda: cuda ? `${cuda[1]}.${cuda[2]}` : /cpu/.test(label) ? 'cpu' : '',
    platform: wheel.platform,
  };
}
