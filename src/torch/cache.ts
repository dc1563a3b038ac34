import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ReleaseTable } from './releases';

/** What one read of an index left behind, to plan from until it is too old. */
export interface CachedRead {
  url: string;
  /** ISO time of the read. */
  readAt: string;
  table: ReleaseTable;
}

const cacheFile = (dir: string, url: string): string =>
  path.join(dir, `torch-${createHash('sha256').update(url).digest('hex').slice(0, 16)}.json`);

/** The cached read of this URL when it is younger than maxAgeMs; anything unreadable counts as absent. */
export async function readCache(
  dir: string,
  url: string,
  maxAgeMs: number,
  now: Date,
): Promise<CachedRead | undefined> {
  try {
    const cached = JSON.parse(await readFile(cacheFile(dir, url), 'utf8')) as CachedRead;
    const age = now.getTime() - Date.parse(cached.readAt);
    if (cached.url !== url || typeof cached.table !== 'object' || !(age >= 0 && age <= maxAgeMs)) return undefined;
    return cached;
  } catch {
    return undefined;
  }
}

/** Written beside and renamed into place, so a job reading at the same time sees the old file or the new one. */
export async function writeCache(dir: string, read: CachedRead): Promise<void> {
  await mkdir(dir, { recursive: true });
  const file = cacheFile(dir, read.url);
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(partial, JSON.stringify(read));
  await rename(partial, file);
}
