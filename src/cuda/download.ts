import * as tc from '@actions/tool-cache';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../core/errors';

/**
 * Downloads through @actions/tool-cache, which retries 5xx, 408, 429 and dropped connections
 * (3 attempts, 10-20 s apart); `dest` must not exist yet.
 */
export async function download(url: string, dest: string): Promise<void> {
  await mkdir(path.dirname(dest), { recursive: true });
  try {
    await tc.downloadTool(url, dest);
  } catch (error) {
    const status = error instanceof tc.HTTPError ? error.httpStatusCode : undefined;
    const retried = status === undefined || status >= 500 || status === 408 || status === 429;
    throw new DownloadError(
      url,
      status,
      `download of ${url} failed${retried ? ' after 3 attempts' : ''}: ${errorMessage(error)}`,
    );
  }
}

export class DownloadError extends Error {
  override name = 'DownloadError';
  constructor(
    readonly url: string,
    readonly status: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

export async function downloadText(url: string, dest: string): Promise<string> {
  await download(url, dest);
  return readFile(dest, 'utf8');
}

export async function fileDigest(file: string, algorithm: 'sha256' | 'md5'): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Size first (cheap, and names a truncated download), then the digest, before anything is unpacked. */
export async function verifyDownload(
  file: string,
  expected: { size?: number; digest: string; algorithm: 'sha256' | 'md5' },
  label: string,
): Promise<void> {
  const size = (await stat(file)).size;
  if (expected.size !== undefined && size !== expected.size) {
    throw new Error(
      `${label}: ${size} bytes arrived, the manifest says ${expected.size}: the download is truncated or a different file`,
    );
  }
  const actual = await fileDigest(file, expected.algorithm);
  if (actual !== expected.digest.toLowerCase()) {
    throw new Error(
      `${label}: ${expected.algorithm} checksum mismatch (expected ${expected.digest}, got ${actual}): the download is corrupt or the mirror serves a different file`,
    );
  }
}

export const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

/** Logs how many bytes of each running download have arrived, every `intervalMs`. */
export function progressReporter(log: (line: string) => void, intervalMs: number) {
  const running = new Map<string, { file: string; size: number }>();
  const timer = setInterval(() => {
    void Promise.all(
      [...running].map(async ([label, { file, size }]) => {
        const arrived = (await stat(file).catch(() => undefined))?.size ?? 0;
        return `${label} ${megabytes(arrived)} of ${megabytes(size)}`;
      }),
    ).then((parts) => parts.length > 0 && log(`downloading: ${parts.join(', ')}`));
  }, intervalMs);
  timer.unref();
  return {
    start: (label: string, file: string, size: number) => void running.set(label, { file, size }),
    end: (label: string) => void running.delete(label),
    stop: () => clearInterval(timer),
  };
}
