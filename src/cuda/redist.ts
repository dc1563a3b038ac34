import { rm } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Log } from '../core/context';
import { errorMessage } from '../core/errors';
import { download, megabytes, progressReporter, verifyDownload } from './download';
import type { Archive } from './manifest';
import { finishPrefix, mergeComponent, unpackComponent } from './prefix';
import type { RedistPlatform } from './platform';

export interface FetchOptions {
  log: Log;
  /** Archives downloaded (and unpacked) at once. */
  concurrency?: number;
  /** How often running downloads report the bytes that have arrived. */
  progressMs?: number;
}

/**
 * Builds a toolkit in `staging/toolkit` from redist archives: downloads them in parallel, checks
 * each one's size and SHA-256 before unpacking it, then merges every component into one prefix.
 * Returns the bytes downloaded. On any failure it throws once the other downloads have stopped.
 */
export async function buildFromRedist(
  archives: readonly Archive[],
  mirrorUrl: string,
  release: string,
  platform: RedistPlatform,
  staging: string,
  options: FetchOptions,
): Promise<number> {
  const { log, concurrency = 4, progressMs = 5000 } = options;
  const queue = [...archives].sort((a, b) => b.size - a.size);
  const unpacked = new Map<string, string>();
  const failures: unknown[] = [];
  const progress = progressReporter((line) => log.info(line), progressMs);

  const fetchOne = async (archive: Archive): Promise<void> => {
    const file = path.join(staging, 'downloads', archive.name);
    const url = new URL(archive.relativePath, mirrorUrl).href;
    const started = performance.now();
    progress.start(archive.component, file, archive.size);
    try {
      await download(url, file);
    } finally {
      progress.end(archive.component);
    }
    await verifyDownload(file, { size: archive.size, digest: archive.sha256, algorithm: 'sha256' }, archive.name);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    log.info(`${archive.component} ${archive.version}: ${megabytes(archive.size)} in ${seconds} s, size and sha256 verified`);
    unpacked.set(archive.component, await unpackComponent(file, path.join(staging, 'unpack', archive.component)));
    await rm(file);
  };
  const worker = async (): Promise<void> => {
    // A failure stops the others from starting more; running ones finish before the error is thrown.
    for (let next = queue.shift(); next && failures.length === 0; next = queue.shift()) {
      await fetchOne(next).catch((error: unknown) => void failures.push(error));
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, archives.length) }, worker));
  } finally {
    progress.stop();
  }
  if (failures.length > 0) {
    for (const other of failures.slice(1)) log.info(`also failed: ${errorMessage(other)}`);
    throw failures[0];
  }

  const prefix = path.join(staging, 'toolkit');
  for (const archive of [...archives].sort((a, b) => a.component.localeCompare(b.component))) {
    const replaced = await mergeComponent(unpacked.get(archive.component)!, prefix, archive.component);
    if (replaced.length > 0) log.debug(`${archive.component} replaced ${replaced.length} files: ${replaced.join(', ')}`);
  }
  await finishPrefix(prefix, platform, release, archives);
  return archives.reduce((sum, a) => sum + a.size, 0);
}
