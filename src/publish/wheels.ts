import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { glob, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { inputError } from '../core/errors';
import { readList } from '../core/list';
import { REPORT_SCHEMA, type Report } from '../verify/report';
import { wheelFiles } from '../wheel/files';
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
    if ((await stat(full).catch(() => undefined))?.isFile()) found.push(full);
  }
  return found.sort();
}

/** Every wheel the patterns name, each checked to be a wheel GitHub will store under its own name. */
export async function findWheels(patterns: readonly string[], cwd: string): Promise<LocalWheel[]> {
  const files = await wheelFiles(patterns, cwd);
  const wheels = new Map<string, LocalWheel>();
  for (const file of new Set(files)) {
    const name = path.basename(file);
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
    const other = wheels.get(name);
    if (other)
      throw inputError(
        'wheels',
        `two files are named ${name} (${other.path}, ${file})`,
        'Each asset name can be published once',
      );
    wheels.set(name, { path: file, name, size: (await stat(file)).size, archs: [] });
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

/**
 * GPU archs per wheel name from verify's JSON report (schema 1): the GPUs each wheel runs on,
 * "12.0 (PTX)" where only by JIT. A report of another schema gives nothing, and the caller says so.
 */
export async function archsFromReport(file: string): Promise<Map<string, string[]>> {
  const report = JSON.parse(await readFile(file, 'utf8')) as Partial<Report>;
  if (report.schema !== REPORT_SCHEMA || !Array.isArray(report.wheels)) {
    throw new Error(`not a verify report of schema ${REPORT_SCHEMA}`);
  }
  return new Map(
    report.wheels.map((wheel) => [
      wheel.name,
      Object.entries(wheel.gpus ?? {}).map(([gpu, how]) => (how === 'ptx' ? `${gpu} (PTX)` : gpu)),
    ]),
  );
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
