import { createWriteStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';
import yauzl from 'yauzl';

/** How much of an archive is read at all: more is a zip bomb, or no wheel sagewheels should handle. */
export interface ZipLimits {
  /** Entries in the central directory (files and folders). */
  entries: number;
  /** Bytes all entries inflate to, summed. */
  uncompressed: number;
}

/**
 * 100,000 entries and 16 GiB inflated: a CUDA extension's wheel holds tens of files, and the
 * limits leave room for wheels the size of PyTorch's own.
 */
export const ZIP_LIMITS: ZipLimits = { entries: 100_000, uncompressed: 16 * 2 ** 30 };

/**
 * Each entry of a zip archive in order, one at a time. yauzl refuses truncated archives, sizes
 * that disagree with the central directory, and names that are absolute or climb out with "..";
 * an archive over `limits` is refused before the first entry (count) or as soon as the sizes
 * its central directory gives add up past the limit.
 */
async function eachEntry(
  file: string,
  limits: ZipLimits = ZIP_LIMITS,
  visit: (entry: yauzl.Entry, open: (stored?: boolean) => Promise<NodeJS.ReadableStream>) => Promise<void>,
): Promise<void> {
  const base = path.basename(file);
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true, validateEntrySizes: true, strictFileNames: true }, (err, z) =>
      err ? reject(new Error(`${base}: not a readable zip archive: ${err.message}`)) : resolve(z),
    ),
  );
  if (zip.entryCount > limits.entries) {
    zip.close();
    throw new Error(
      `${base}: holds ${zip.entryCount} entries, more than the ${limits.entries} an archive may hold here (a zip bomb?)`,
    );
  }
  let inflated = 0;
  await new Promise<void>((resolve, reject) => {
    const fail = (err: Error) => {
      zip.close();
      reject(new Error(`${base}: ${err.message}`));
    };
    zip.on('error', fail);
    zip.on('end', resolve);
    zip.on('entry', (entry: yauzl.Entry) => {
      inflated += entry.uncompressedSize;
      if (inflated > limits.uncompressed) {
        fail(
          new Error(
            `inflates to more than ${formatBytes(limits.uncompressed)}, the most an archive may inflate to here (a zip bomb?)`,
          ),
        );
        return;
      }
      // stored: the bytes as the archive holds them, not inflated.
      const open = (stored = false) =>
        new Promise<NodeJS.ReadableStream>((res, rej) =>
          zip.openReadStream(entry, { decompress: stored ? false : null }, (err, stream) =>
            err ? rej(err) : res(stream),
          ),
        );
      visit(entry, open).then(() => zip.readEntry(), fail);
    });
    zip.readEntry();
  });
}

const formatBytes = (bytes: number): string =>
  bytes >= 2 ** 30 ? `${bytes / 2 ** 30} GiB` : bytes >= 2 ** 20 ? `${bytes / 2 ** 20} MiB` : `${bytes} bytes`;

const isDirectory = (entry: yauzl.Entry): boolean => entry.fileName.endsWith('/');
const unixMode = (entry: yauzl.Entry): number => (entry.externalFileAttributes >>> 16) & 0o777;
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

/** One entry as the central directory describes it. */
export interface ZipEntryInfo {
  name: string;
  /** Uncompressed size; yauzl checks the inflated bytes against it. */
  size: number;
  mode: number;
  directory: boolean;
  /** Stored as a symbolic link (Unix mode S_IFLNK). */
  symlink: boolean;
}

/**
 * Visits each entry in archive order with a stream of its bytes, one at a time: memory stays
 * bounded by what the visitor keeps, whatever the archive inflates to.
 */
export async function scanZip(
  file: string,
  limits: ZipLimits | undefined,
  visit: (entry: ZipEntryInfo, open: () => Promise<NodeJS.ReadableStream>) => Promise<void>,
): Promise<void> {
  await eachEntry(file, limits, (entry, open) =>
    visit(
      {
        name: entry.fileName,
        size: entry.uncompressedSize,
        mode: unixMode(entry),
        directory: isDirectory(entry),
        symlink: ((entry.externalFileAttributes >>> 16) & S_IFMT) === S_IFLNK,
      },
      open,
    ),
  );
}

export interface ZipItem {
  name: string;
  data: Buffer;
  /** Unix permission bits as stored (0 when the archive was made on Windows). */
  mode: number;
}

/** Every file of a (small) archive in memory, in archive order. */
export async function readZip(file: string): Promise<ZipItem[]> {
  const items: ZipItem[] = [];
  await eachEntry(file, undefined, async (entry, open) => {
    if (isDirectory(entry)) return;
    const chunks: Buffer[] = [];
    for await (const chunk of await open()) chunks.push(chunk as Buffer);
    items.push({ name: entry.fileName, data: Buffer.concat(chunks), mode: unixMode(entry) });
  });
  return items;
}

/** Extracts below `dest`, streaming; no entry can land outside it. */
export async function extractZip(file: string, dest: string): Promise<void> {
  const root = path.resolve(dest);
  await eachEntry(file, undefined, async (entry, open) => {
    const target = path.resolve(root, entry.fileName);
    if (!target.startsWith(root + path.sep)) {
      throw new Error(`entry "${entry.fileName}" escapes the extraction folder`);
    }
    if (isDirectory(entry)) {
      await mkdir(target, { recursive: true });
      return;
    }
    await mkdir(path.dirname(target), { recursive: true });
    // Keep the executable bit for tools extracted on POSIX hosts.
    await pipeline(await open(), createWriteStream(target, { mode: unixMode(entry) || 0o644 }));
  });
}

/**
 * An entry as the archive stores it: its bytes still compressed, so that a rewrite copies them
 * instead of inflating and deflating again (what made relabelling a large wheel slow).
 */
export interface StoredEntry {
  name: string;
  mode: number;
  /** 0 stored, 8 deflated. */
  method: number;
  crc32: number;
  /** Uncompressed size. */
  size: number;
  stored: Buffer;
}

/** Every file of an archive as stored, in archive order; directories are left out. */
export async function readStoredEntries(file: string): Promise<StoredEntry[]> {
  const entries: StoredEntry[] = [];
  await eachEntry(file, undefined, async (entry, open) => {
    if (isDirectory(entry)) return;
    if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8)
      throw new Error(`${entry.fileName}: compression method ${entry.compressionMethod} is not stored or deflate`);
    const chunks: Buffer[] = [];
    for await (const chunk of await open(true)) chunks.push(chunk as Buffer);
    entries.push({
      name: entry.fileName,
      mode: unixMode(entry),
      method: entry.compressionMethod,
      crc32: entry.crc32,
      size: entry.uncompressedSize,
      stored: Buffer.concat(chunks),
    });
  });
  return entries;
}

/** The entry's content, checked against its size and CRC-32. */
export function entryData(entry: StoredEntry): Buffer {
  const data = entry.method === 8 ? inflateRawSync(entry.stored) : entry.stored;
  if (data.length !== entry.size || crc32(data) !== entry.crc32)
    throw new Error(`${entry.name}: corrupt (size or CRC-32)`);
  return data;
}

/** A new entry from its content, deflated. */
export function storeEntry(name: string, data: Buffer, mode: number): StoredEntry {
  return { name, mode, method: 8, crc32: crc32(data), size: data.length, stored: deflateRawSync(data, { level: 6 }) };
}

/** A file's mode as a wheel keeps it: 755 when anyone may run it, else 644 (what the build's umask gave it is noise). */
export const normalMode = (mode: number): number => (mode & 0o111 ? 0o755 : 0o644);

/** MS-DOS date and time of a UTC instant, within what they can hold (1980-2107). */
function dosDateTime(time: Date): { date: number; time: number } {
  const t = new Date(Math.min(Math.max(time.getTime(), Date.UTC(1980, 0, 1)), Date.UTC(2107, 11, 31, 23, 59, 58)));
  return {
    date: ((t.getUTCFullYear() - 1980) << 9) | ((t.getUTCMonth() + 1) << 5) | t.getUTCDate(),
    time: (t.getUTCHours() << 11) | (t.getUTCMinutes() << 5) | Math.floor(t.getUTCSeconds() / 2),
  };
}

/** 1980-01-01, the zip format's first day: the time entries get when the caller gives none. */
export const ZIP_EPOCH_DATE = new Date(Date.UTC(1980, 0, 1));

/**
 * Writes entries in the given order with the same bytes for the same entries, every time: one
 * timestamp (`mtime`, UTC), modes 644 or 755, no extra fields, no data descriptors. No zip64: an
 * archive must stay under 4 GiB.
 */
export async function writeStoredZip(
  file: string,
  entries: Iterable<StoredEntry>,
  options: { mtime?: Date } = {},
): Promise<void> {
  const { date, time } = dosDateTime(options.mtime ?? ZIP_EPOCH_DATE);
  const handle = await open(file, 'w');
  const central: Buffer[] = [];
  let offset = 0;
  let count = 0;
  try {
    for (const entry of entries) {
      const name = Buffer.from(entry.name, 'utf8');
      // Bit 11: the name is UTF-8.
      const flags = /[^\x20-\x7e]/.test(entry.name) ? 0x0800 : 0;
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(20, 4);
      local.writeUInt16LE(flags, 6);
      local.writeUInt16LE(entry.method, 8);
      local.writeUInt16LE(time, 10);
      local.writeUInt16LE(date, 12);
      local.writeUInt32LE(entry.crc32, 14);
      local.writeUInt32LE(entry.stored.length, 18);
      local.writeUInt32LE(entry.size, 22);
      local.writeUInt16LE(name.length, 26);
      local.writeUInt16LE(0, 28);
      const header = Buffer.alloc(46);
      header.writeUInt32LE(0x02014b50, 0);
      // Made by Unix (3), so the mode in the external attributes counts.
      header.writeUInt16LE((3 << 8) | 20, 4);
      header.writeUInt16LE(20, 6);
      local.copy(header, 8, 6, 30);
      header.writeUInt32LE(((0o100000 | normalMode(entry.mode)) << 16) >>> 0, 38);
      header.writeUInt32LE(offset, 42);
      central.push(header, name);
      if (offset + 30 + name.length + entry.stored.length > 0xffffffff || count === 0xffff)
        throw new Error(`${file}: over 4 GiB or 65535 entries, which needs zip64`);
      await handle.write(Buffer.concat([local, name]));
      await handle.write(entry.stored);
      offset += 30 + name.length + entry.stored.length;
      count++;
    }
    const directory = Buffer.concat(central);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(count, 8);
    end.writeUInt16LE(count, 10);
    end.writeUInt32LE(directory.length, 12);
    end.writeUInt32LE(offset, 16);
    await handle.write(Buffer.concat([directory, end]));
  } finally {
    await handle.close();
  }
}

/** Writes items in the given order (a wheel's RECORD last by convention), deterministically (see writeStoredZip). */
export async function writeZip(file: string, items: Iterable<ZipItem>, options: { mtime?: Date } = {}): Promise<void> {
  await writeStoredZip(
    file,
    [...items].map((item) => storeEntry(item.name, item.data, item.mode)),
    options,
  );
}
