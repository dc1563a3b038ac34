import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import yazl from 'yazl';

/**
 * Each entry of a zip archive in order. yauzl refuses truncated archives, sizes that disagree
 * with the central directory, and names that are absolute or climb out with "..".
 */
async function eachEntry(
  file: string,
  visit: (entry: yauzl.Entry, open: () => Promise<NodeJS.ReadableStream>) => Promise<void>,
): Promise<void> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true, validateEntrySizes: true, strictFileNames: true }, (err, z) =>
      err ? reject(new Error(`${path.basename(file)}: not a readable zip archive: ${err.message}`)) : resolve(z),
    ),
  );
  await new Promise<void>((resolve, reject) => {
    const fail = (err: Error) => {
      zip.close();
      reject(new Error(`${path.basename(file)}: ${err.message}`));
    };
    zip.on('error', fail);
    zip.on('end', resolve);
    zip.on('entry', (entry: yauzl.Entry) => {
      const open = () =>
        new Promise<NodeJS.ReadableStream>((res, rej) =>
          zip.openReadStream(entry, (err, stream) => (err ? rej(err) : res(stream))),
        );
      visit(entry, open).then(() => zip.readEntry(), fail);
    });
    zip.readEntry();
  });
}

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
  visit: (entry: ZipEntryInfo, open: () => Promise<NodeJS.ReadableStream>) => Promise<void>,
): Promise<void> {
  await eachEntry(file, (entry, open) =>
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
  await eachEntry(file, async (entry, open) => {
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
  await eachEntry(file, async (entry, open) => {
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

/** Writes items in the given order (a wheel's RECORD last by convention), with fixed times. */
export async function writeZip(file: string, items: Iterable<ZipItem>): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const item of items) {
    zip.addBuffer(item.data, item.name, {
      mtime: new Date('1980-01-02T00:00:00Z'),
      mode: 0o100000 | (item.mode || 0o644),
    });
  }
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(file));
}
