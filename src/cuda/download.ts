import { HttpClient } from '@actions/http-client';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../core/errors';

const ATTEMPTS = 3;
const IDLE_MS = 120_000;

/** @actions/tool-cache's test hooks for its retry pauses (10-20 s), honoured here the same way. */
const retryPauseMs = (): number => {
  const global = globalThis as Record<string, unknown>;
  const min = Number(global.TEST_DOWNLOAD_TOOL_RETRY_MIN_SECONDS ?? 10);
  const max = Number(global.TEST_DOWNLOAD_TOOL_RETRY_MAX_SECONDS ?? 20);
  return 1000 * (min + Math.random() * (max - min));
};

class HttpStatusError extends Error {
  constructor(readonly status: number) {
    super(`Unexpected HTTP response: ${status}`);
  }
}

class TooLargeError extends Error {}

/**
 * Downloads `url` to `dest` (which must not exist yet) as @actions/tool-cache does: proxy settings
 * honoured, 5xx, 408, 429, dropped, idle and short connections retried (3 attempts, 10-20 s
 * apart). With `maxBytes`, a body that announces or sends more is cut off there and not retried: a
 * mirror that serves 300 MB for a 78 KB archive costs 78 KB. `exact`: the body must be that size.
 */
export async function download(url: string, dest: string, maxBytes?: number, exact = false): Promise<void> {
  await mkdir(path.dirname(dest), { recursive: true });
  for (let attempt = 1; ; attempt++) {
    try {
      await downloadOnce(url, dest, maxBytes, exact);
      return;
    } catch (error) {
      await rm(dest, { force: true });
      const status = error instanceof HttpStatusError ? error.status : undefined;
      const retry =
        !(error instanceof TooLargeError) &&
        (status === undefined || status >= 500 || status === 408 || status === 429);
      if (!retry || attempt === ATTEMPTS) {
        throw new DownloadError(
          url,
          status,
          `download of ${url} failed${attempt > 1 ? ` after ${attempt} attempts` : ''}: ${errorMessage(error)}`,
        );
      }
      await sleep(retryPauseMs());
    }
  }
}

async function downloadOnce(url: string, dest: string, maxBytes: number | undefined, exact: boolean): Promise<void> {
  // socketTimeout: a connection idle this long is dropped, and the download retried.
  const client = new HttpClient('sagewheels', [], { allowRetries: false, socketTimeout: IDLE_MS });
  const response = await client.get(url);
  const body = response.message;
  if (body.statusCode !== 200) {
    body.resume();
    throw new HttpStatusError(body.statusCode ?? 0);
  }
  const announced = Number(body.headers['content-length']);
  if (maxBytes !== undefined && announced > maxBytes) {
    body.destroy();
    throw new TooLargeError(`the server announces ${announced} bytes, the manifest says ${maxBytes}`);
  }
  let received = 0;
  const cap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      if (maxBytes !== undefined && received > maxBytes) {
        done(new TooLargeError(`more than the ${maxBytes} bytes the manifest says arrived; the rest was not read`));
      } else done(null, chunk);
    },
  });
  await pipeline(body, cap, createWriteStream(dest, { flags: 'wx' }));
  // A connection that ends early (a dropped or idle socket) is retried, not left to the size check.
  const expected = exact ? maxBytes : Number.isSafeInteger(announced) ? announced : undefined;
  if (expected !== undefined && received < expected) {
    throw new Error(`the connection ended after ${received} of ${expected} bytes`);
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

/** Index pages, manifests and md5sum.txt: small text, capped so that a wrong URL cannot fill the disk. */
export async function downloadText(url: string, dest: string, maxBytes = 64 * 1024 * 1024): Promise<string> {
  await download(url, dest, maxBytes);
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
