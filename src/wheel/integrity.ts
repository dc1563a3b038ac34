import { createHash } from 'node:crypto';
import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';
import { normalizeProject, parseWheelName, type WheelName } from './name';
import { parseRecord } from './record';
import { scanZip, type ZipLimits } from './zip';

/** METADATA, WHEEL and RECORD are read whole up to this size; a bigger one is a problem. */
export const TEXT_CAP = 16 * 2 ** 20;
/** Binaries (ELF, PE) are handed to a reader whole up to this size, one at a time. */
export const BINARY_CAP = 512 * 2 ** 20;

export interface WheelEntry {
  name: string;
  size: number;
}

/** What one streaming pass over a wheel found. */
export interface InspectedWheel {
  file: string;
  name: WheelName;
  /** METADATA's Name and Version, as the project spells them. */
  project: string;
  version: string;
  /** WHEEL's Tag lines. */
  tags: string[];
  /** Every file (no folders), in archive order. */
  entries: WheelEntry[];
  /** Every way the wheel is not what its name and RECORD say, one sentence each. */
  problems: string[];
}

export interface InspectOptions {
  /** Folders the wheel must lie in (after resolving links); empty: anywhere. */
  within?: readonly string[];
  /**
   * Gets each ELF or PE file of the wheel, one at a time; `data` is undefined for one larger
   * than `binaryCap` (its bytes are hashed but not kept).
   */
  binary?: (name: string, data: Buffer | undefined, size: number) => void | Promise<void>;
  binaryCap?: number;
  /** Entry count and inflated size past which the wheel is refused unread (default ZIP_LIMITS). */
  limits?: ZipLimits;
}

/**
 * Opens a wheel and checks it as pip would have to trust it, in one streaming pass whose memory
 * does not grow with the wheel's uncompressed size: a regular file (not a link) inside the given
 * folders, a whole zip with no entry outside its folder, a file name that agrees with METADATA
 * and WHEEL, and a RECORD whose hashes and sizes match every file. Throws only when the file is
 * no readable wheel at all (or lies where it may not); everything else is in `problems`.
 */
export async function inspectWheel(file: string, options: InspectOptions = {}): Promise<InspectedWheel> {
  const base = path.basename(file);
  const name = parseWheelName(base);
  await checkLocation(file, options.within ?? []);
  const cap = options.binaryCap ?? BINARY_CAP;

  const problems: string[] = [];
  const entries: WheelEntry[] = [];
  const digests = new Map<string, { hash: string; size: number }>();
  const texts = new Map<string, Buffer>();
  await scanZip(file, options.limits, async (entry, open) => {
    if (entry.directory) return;
    if (entry.symlink) problems.push(`the archive stores ${entry.name} as a symbolic link`);
    if (digests.has(entry.name)) problems.push(`the archive holds "${entry.name}" twice`);
    const isText = /^[^/]+\.dist-info\/(?:METADATA|WHEEL|RECORD)$/.test(entry.name);
    const hash = createHash('sha256');
    const kept: Buffer[] = [];
    let size = 0;
    let keep: 'text' | 'binary' | 'no' | undefined = isText ? 'text' : undefined;
    for await (const chunk of await open()) {
      const bytes = chunk as Buffer;
      // The first bytes tell a binary: ELF's magic, or MZ of a PE image.
      keep ??= options.binary && isBinary(bytes) ? 'binary' : 'no';
      hash.update(bytes);
      size += bytes.length;
      const limit = keep === 'text' ? TEXT_CAP : keep === 'binary' ? cap : 0;
      if (size <= limit) kept.push(bytes);
      else kept.length = 0;
    }
    entries.push({ name: entry.name, size });
    digests.set(entry.name, { hash: `sha256=${hash.digest('base64url')}`, size });
    const whole = size <= (keep === 'text' ? TEXT_CAP : cap) ? Buffer.concat(kept) : undefined;
    if (keep === 'text') {
      if (whole) texts.set(entry.name, whole);
      else problems.push(`${entry.name} is ${size} bytes, more than the ${TEXT_CAP} bytes read of it`);
    } else if (keep === 'binary' && options.binary) {
      await options.binary(entry.name, whole, size);
    }
  });

  const distInfo = [...new Set(entries.map((e) => e.name.split('/')[0]!).filter((top) => top.endsWith('.dist-info')))];
  if (distInfo.length !== 1) {
    throw new Error(`${base}: expected one .dist-info folder, found ${distInfo.length ? distInfo.join(', ') : 'none'}`);
  }
  const info = distInfo[0]!;
  const text = (leaf: string): string => {
    const data = texts.get(`${info}/${leaf}`);
    if (!data) throw new Error(`${base}: ${info}/${leaf} is missing or unreadable`);
    return data.toString('utf8');
  };

  const metadata = parseHeaders(text('METADATA'));
  const project = metadata.get('name')?.[0] ?? '';
  const version = metadata.get('version')?.[0] ?? '';
  if (normalizeProject(project) === 'unknown') {
    problems.push(`METADATA names the project UNKNOWN: the build backend did not read the project's metadata`);
  }
  if (normalizeProject(project) !== normalizeProject(name.distribution)) {
    problems.push(`the file name says project "${name.distribution}", METADATA says "${project}"`);
  }
  if (normalizeVersion(version) !== normalizeVersion(name.version)) {
    problems.push(
      `the file name says version ${name.version}, METADATA says ${version || 'nothing'} (pip and uv refuse the wheel)`,
    );
  }
  const stem = info.slice(0, -'.dist-info'.length);
  const [infoProject, infoVersion] = [stem.slice(0, stem.lastIndexOf('-')), stem.slice(stem.lastIndexOf('-') + 1)];
  if (
    normalizeProject(infoProject) !== normalizeProject(name.distribution) ||
    normalizeVersion(infoVersion) !== normalizeVersion(name.version)
  ) {
    problems.push(`the metadata folder ${info} does not match the file name`);
  }

  const tags = parseHeaders(text('WHEEL')).get('tag') ?? [];
  const nameTags = expandTags(name);
  if (nameTags.some((tag) => !tags.includes(tag)) || tags.some((tag) => !nameTags.includes(tag))) {
    problems.push(
      `the file name's tags (${nameTags.join(', ')}) differ from WHEEL's Tag lines (${tags.join(', ') || 'none'})`,
    );
  }

  // One at a time: spread into push(), a list as long as the archive overflows the stack.
  for (const problem of recordProblems(`${info}/RECORD`, text('RECORD'), digests)) problems.push(problem);
  return { file, name, project, version, tags, entries, problems };
}

/** Inspects a wheel and throws one error listing every problem: for steps that must not use a bad wheel. */
export async function checkWheel(file: string, options: InspectOptions = {}): Promise<InspectedWheel> {
  const wheel = await inspectWheel(file, options);
  if (wheel.problems.length > 0) throw new Error(`${path.basename(file)}: ${wheel.problems.join('; ')}`);
  return wheel;
}

/** The folder a path or glob names, up to its first wildcard: where the files it matches must really lie. */
export function patternFolder(pattern: string, cwd: string): string {
  const parts = pattern.split(/[\\/]/);
  const wild = parts.findIndex((part) => /[*?[{]/.test(part));
  return path.resolve(cwd, wild < 0 ? path.dirname(pattern) : parts.slice(0, wild).join('/') || '.');
}

const isBinary = (head: Buffer): boolean =>
  (head.length >= 4 && head.readUInt32BE(0) === 0x7f454c46) || head.toString('latin1', 0, 2) === 'MZ';

async function checkLocation(file: string, within: readonly string[]): Promise<void> {
  const base = path.basename(file);
  const info = await lstat(file).catch(() => undefined);
  if (!info) throw new Error(`${file} is not there`);
  if (info.isSymbolicLink()) throw new Error(`${base} is a symbolic link; only regular wheel files are read`);
  if (!info.isFile()) throw new Error(`${base} is not a regular file`);
  if (within.length === 0) return;
  const real = await realpath(file);
  const roots = await Promise.all(within.map((dir) => realpath(dir).catch(() => path.resolve(dir))));
  if (!roots.some((root) => real.startsWith(root + path.sep))) {
    throw new Error(`${base} lies at ${real}, outside ${within.join(', ')}`);
  }
}

/** A wheel whose RECORD is wrong for every file says so in a few lines, not one per file. */
const RECORD_PROBLEMS_SHOWN = 20;

function recordProblems(
  recordPath: string,
  record: string,
  digests: Map<string, { hash: string; size: number }>,
): string[] {
  const problems: string[] = [];
  const listed = new Set<string>();
  const isSignature = (name: string) => /\.dist-info\/RECORD\.(?:jws|p7s)$/.test(name);
  for (const row of parseRecord(record)) {
    listed.add(row.path);
    if (row.path === recordPath || isSignature(row.path)) continue;
    const found = digests.get(row.path);
    if (!found) {
      problems.push(`RECORD lists ${row.path}, which is not in the archive`);
    } else if (row.hash !== found.hash) {
      problems.push(`${row.path} does not match its RECORD hash (${row.hash || 'none given'})`);
    } else if (row.size !== '' && Number(row.size) !== found.size) {
      problems.push(`${row.path} is ${found.size} bytes, RECORD says ${row.size}`);
    }
  }
  for (const name of digests.keys()) {
    if (!listed.has(name) && !isSignature(name)) problems.push(`${name} is in the archive but not in RECORD`);
  }
  if (problems.length <= RECORD_PROBLEMS_SHOWN) return problems;
  const more = problems.length - RECORD_PROBLEMS_SHOWN;
  return [...problems.slice(0, RECORD_PROBLEMS_SHOWN), `and ${more} more files that disagree with RECORD`];
}

/** Email-style headers (METADATA, WHEEL) up to the first blank line; keys lower-cased. */
export function parseHeaders(text: string): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  for (const line of text.split(/\r?\n/)) {
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon <= 0 || /^\s/.test(line)) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    headers.set(key, [...(headers.get(key) ?? []), line.slice(colon + 1).trim()]);
  }
  return headers;
}

/** cp312-cp312-linux_x86_64 for each combination of compressed tag sets (py2.py3). */
export function expandTags(name: WheelName): string[] {
  return name.python
    .split('.')
    .flatMap((py) =>
      name.abi.split('.').flatMap((abi) => name.platform.split('.').map((platform) => `${py}-${abi}-${platform}`)),
    );
}

/** Enough of PEP 440 for comparing what tools write: case, and `-`/`_` in local labels. */
export const normalizeVersion = (version: string): string =>
  version
    .trim()
    .toLowerCase()
    .replace(/(\+.*)$/, (local) => local.replace(/[-_]/g, '.'));
