import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { link, mkdir, readdir, realpath, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';

const BLOCK = 512;

/** Pulls exact byte counts from a stream of chunks. */
class ByteReader {
  private buffer: Buffer = Buffer.alloc(0);
  private done = false;
  constructor(private readonly chunks: AsyncIterator<Buffer>) {}

  private async fill(n: number): Promise<void> {
    while (this.buffer.length < n && !this.done) {
      const next = await this.chunks.next();
      if (next.done) this.done = true;
      else this.buffer = this.buffer.length === 0 ? next.value : Buffer.concat([this.buffer, next.value]);
    }
  }

  /** Exactly n bytes, or null at a clean end of input. */
  async read(n: number): Promise<Buffer | null> {
    await this.fill(n);
    if (this.buffer.length === 0) return null;
    if (this.buffer.length < n) throw new Error('the archive ends in the middle of an entry');
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return out;
  }

  /** Reads to the end: what follows the end-of-archive blocks (record padding) is ignored. */
  async drain(): Promise<void> {
    this.buffer = Buffer.alloc(0);
    while (!this.done) this.done = Boolean((await this.chunks.next()).done);
  }

  /** n bytes in pieces, without holding them all. */
  async *pieces(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      await this.fill(1);
      if (this.buffer.length === 0) throw new Error('the archive ends in the middle of an entry');
      const piece = this.buffer.subarray(0, Math.min(left, this.buffer.length));
      this.buffer = this.buffer.subarray(piece.length);
      left -= piece.length;
      yield piece;
    }
  }
}

const text = (field: Buffer): string => {
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? field.length : end).toString('utf8');
};

/** Octal, or base-256 (high bit set) for values too big for the field. */
function number(field: Buffer): number {
  if (field[0]! & 0x80) {
    let value = field[0]! & 0x7f;
    for (const byte of field.subarray(1)) value = value * 256 + byte;
    return value;
  }
  const digits = text(field).trim();
  return digits === '' ? 0 : parseInt(digits, 8);
}

function checksumOk(header: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
  return sum === number(header.subarray(148, 156));
}

/** pax extended header records: "<length> <key>=<value>\n". */
function paxRecords(data: Buffer): Record<string, string> {
  const records: Record<string, string> = {};
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const length = parseInt(data.subarray(at, space).toString(), 10);
    if (space < 0 || !(length > 0)) break;
    const record = data.subarray(space + 1, at + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    records[record.slice(0, eq)] = record.slice(eq + 1);
    at += length;
  }
  return records;
}

/** True for a path that is absolute or climbs out of the folder it is relative to. */
function escapes(name: string): boolean {
  const normal = path.posix.normalize(name);
  return name.includes('\0') || path.posix.isAbsolute(name) || normal === '..' || normal.startsWith('../');
}

interface Entry {
  type: string;
  name: string;
  linkname: string;
  size: number;
  mode: number;
}

/**
 * Extracts a tar stream below `root` (which must be empty). Refused, before anything is written
 * for them: names that are absolute or climb out with "..", links whose target leaves `root`,
 * entries written through a symlink, and devices or FIFOs. Afterwards every symlink must resolve
 * inside `root`, which catches link chains that only escape once combined.
 */
export async function extractTar(chunks: AsyncIterable<Buffer>, root: string): Promise<void> {
  const reader = new ByteReader(chunks[Symbol.asyncIterator]());
  const symlinks = new Set<string>();
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;

  for (;;) {
    const header = await reader.read(BLOCK);
    if (header === null || header.every((b) => b === 0)) break;
    if (!checksumOk(header)) throw new Error('not a tar archive, or a corrupt header');
    const ustar = header.subarray(257, 262).toString() === 'ustar';
    const prefix = ustar ? text(header.subarray(345, 500)) : '';
    const entry: Entry = {
      type: String.fromCharCode(header[156]!) || '0',
      name:
        pax.path ?? longName ?? (prefix ? `${prefix}/${text(header.subarray(0, 100))}` : text(header.subarray(0, 100))),
      linkname: pax.linkpath ?? longLink ?? text(header.subarray(157, 257)),
      size: pax.size !== undefined ? Number(pax.size) : number(header.subarray(124, 136)),
      mode: number(header.subarray(100, 108)),
    };
    const padded = Math.ceil(entry.size / BLOCK) * BLOCK;

    if (entry.type === 'x' || entry.type === 'L' || entry.type === 'K') {
      const data = ((await reader.read(padded)) ?? Buffer.alloc(0)).subarray(0, entry.size);
      if (entry.type === 'x') pax = paxRecords(data);
      else if (entry.type === 'L') longName = text(data);
      else longLink = text(data);
      continue;
    }
    pax = {};
    longName = longLink = undefined;
    if (entry.type === 'g') {
      await reader.read(padded);
      continue;
    }

    if (escapes(entry.name)) throw new Error(`entry "${entry.name}" escapes the extraction folder`);
    const rel = path.posix.normalize(entry.name).replace(/\/+$/, '');
    const through = ancestors(rel).find((a) => symlinks.has(a));
    if (through) throw new Error(`entry "${entry.name}" would be written through the symlink "${through}"`);
    const target = path.join(root, rel);
    if (rel !== '.') await mkdir(path.dirname(target), { recursive: true });

    switch (entry.type) {
      case '0':
      case '\0':
      case '7': {
        await rm(target, { force: true });
        // 'wx' never follows a symlink at the target; the mode drops setuid/setgid bits.
        const out = createWriteStream(target, { flags: 'wx', mode: (entry.mode & 0o777) | 0o200 });
        await once(out, 'open');
        for await (const piece of reader.pieces(entry.size)) {
          if (!out.write(piece)) await once(out, 'drain');
        }
        out.end();
        await finished(out);
        await reader.read(padded - entry.size);
        continue;
      }
      case '5':
        if (rel !== '.') await mkdir(target, { recursive: true });
        break;
      case '2': {
        if (
          path.posix.isAbsolute(entry.linkname) ||
          escapes(path.posix.join(path.posix.dirname(rel), entry.linkname))
        ) {
          throw new Error(`symlink "${entry.name}" -> "${entry.linkname}" points outside the extraction folder`);
        }
        await rm(target, { force: true });
        await symlink(entry.linkname, target);
        symlinks.add(rel);
        break;
      }
      case '1': {
        if (escapes(entry.linkname))
          throw new Error(`hard link "${entry.name}" -> "${entry.linkname}" points outside the extraction folder`);
        const source = path.posix.normalize(entry.linkname);
        if (symlinks.has(source) || ancestors(source).some((a) => symlinks.has(a))) {
          throw new Error(`hard link "${entry.name}" points through a symlink`);
        }
        await rm(target, { force: true });
        await link(path.join(root, source), target);
        break;
      }
      default:
        throw new Error(
          `entry "${entry.name}" has tar type "${entry.type}", which is not extracted (only files, folders and links)`,
        );
    }
    await reader.read(padded);
  }
  await reader.drain();
  await checkSymlinks(root);
}

/** "a/b/c" -> ["a", "a/b"] */
const ancestors = (rel: string): string[] =>
  rel
    .split('/')
    .slice(0, -1)
    .map((_, i, parts) => parts.slice(0, i + 1).join('/'));

async function checkSymlinks(root: string): Promise<void> {
  const realRoot = await realpath(root);
  const walk = async (dir: string): Promise<void> => {
    for (const item of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, item.name);
      if (item.isDirectory()) await walk(full);
      else if (item.isSymbolicLink()) {
        const resolved = await realpath(full).catch(() => undefined);
        if (resolved !== undefined && resolved !== realRoot && !resolved.startsWith(realRoot + path.sep)) {
          throw new Error(`symlink "${path.relative(root, full)}" resolves outside the extraction folder`);
        }
      }
    }
  };
  await walk(root);
}

/** Decompresses a .tar.xz with the xz tool (GNU/Linux runners have it) and extracts it safely. */
export async function extractTarXz(file: string, root: string): Promise<void> {
  const xz = spawn('xz', ['-dc', '-T0', '--', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  xz.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  const exited = new Promise<number>((resolve, reject) => {
    xz.on('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT'
          ? new Error('xz is not installed: install xz-utils to unpack NVIDIA .tar.xz archives')
          : error,
      ),
    );
    xz.on('close', (code) => resolve(code ?? 1));
  });
  exited.catch(() => undefined); // awaited below; this only keeps an early failure from counting as unhandled
  const xzFailed = (code?: number) =>
    new Error(`xz could not decompress ${path.basename(file)}: ${stderr.trim() || `exit code ${code}`}`);
  try {
    await extractTar(xz.stdout, root);
  } catch (error) {
    xz.stdout.destroy();
    xz.kill();
    await exited.catch(() => undefined);
    // A damaged stream ends the tar early; xz's own message says why.
    throw stderr.trim() ? xzFailed() : error;
  }
  const code = await exited;
  if (code !== 0) throw xzFailed(code);
}
