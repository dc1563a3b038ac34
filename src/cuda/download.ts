import { HttpClient } from '@actions/http-client';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { IncomingMessage } from 'node:http';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Log } from '../core/context';
import { errorMessage } from '../core/errors';
import { Cancelled, RetryPolicy, systemClock, WaitRefused } from '../http/policy';
import { RequestBoundError } from '../http/request';
import { headerGet, serverWait, type ServerWait } from '../http/wait';

const ATTEMPTS = 3;
const IDLE_MS = 120_000;
/** A whole archive (CUDA's largest are about 1 GB): at least 0.3 MB/s. */
const TOTAL_MS = 60 * 60_000;

/** @actions/tool-cache's test hooks for its retry pauses (10-20 s), honoured here the same way. */
const retryPauseMs = (): number => {
  const global = globalThis as Record<string, unknown>;
  const min = Number(global.TEST_DOWNLOAD_TOOL_RETRY_MIN_SECONDS ?? 10);
  const max = Number(global.TEST_DOWNLOAD_TOOL_RETRY_MAX_SECONDS ?? 20);
  return 1000 * (min + Math.random() * (max - min));
};

class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    /** The wait the answer's headers ask for (Retry-After, RateLimit). */
    readonly wait: ServerWait | undefined,
  ) {
    super(`Unexpected HTTP response: ${status}`);
  }
}

class TooLargeError extends Error {}

export interface DownloadOptions {
  /** A body that announces or sends more is cut off there and not retried. */
  maxBytes?: number;
  /** The body must be exactly `maxBytes`. */
  exact?: boolean;
  /** Where each retry's wait is said. */
  log?: Pick<Log, 'warning'>;
}

/**
 * Downloads `url` to `dest` (which must not exist yet) as @actions/tool-cache does: proxy settings
 * honoured, 5xx, 408, 429, dropped, idle and short connections retried (3 attempts, 10-20 s
 * apart, or what the server's Retry-After or RateLimit asks, within the policy's bound). With
 * `maxBytes`, a body that announces or sends more is cut off there and not retried: a mirror that
 * serves 300 MB for a 78 KB archive costs 78 KB.
 */
export async function download(url: string, dest: string, options: DownloadOptions = {}): Promise<void> {
  await mkdir(path.dirname(dest), { recursive: true });
  const policy = new RetryPolicy({
    retries: ATTEMPTS - 1,
    backoff: () => retryPauseMs() / 1000,
    clock: systemClock(),
    log: options.log ?? { warning: () => undefined },
  });
  let attempts = 0;
  try {
    await policy.run(
      `download of ${url}`,
      async (attempt) => {
        attempts++;
        if (attempt > 0) await rm(dest, { force: true }); // what the failed attempt left
        await downloadOnce(url, dest, options, policy.cancel);
      },
      (error) => {
        if (error instanceof TooLargeError || error instanceof Cancelled || error instanceof RequestBoundError)
          return undefined;
        if (!(error instanceof HttpStatusError)) return { why: errorMessage(error) };
        const { status, wait } = error;
        if (status === 429) return { why: `HTTP ${status}`, wait, limit: 'rate limit', server: new URL(url).host };
        return status >= 500 || status === 408 ? { why: `HTTP ${status}`, wait } : undefined;
      },
    );
  } catch (error) {
    await rm(dest, { force: true });
    if (error instanceof Cancelled || error instanceof WaitRefused) throw error;
    const status = error instanceof HttpStatusError ? error.status : undefined;
    throw new DownloadError(
      url,
      status,
      `download of ${url} failed${attempts > 1 ? ` after ${attempts} attempts` : ''}: ${errorMessage(error)}`,
    );
  }
}

async function downloadOnce(url: string, dest: string, options: DownloadOptions, cancel: AbortSignal): Promise<void> {
  const { maxBytes, exact = false } = options;
  // socketTimeout: a connection idle this long (connecting included) is dropped, and the download retried.
  const client = new HttpClient('sagewheels', [], { allowRetries: false, socketTimeout: IDLE_MS });
  const response = await client.get(url);
  const body = response.message;
  if (body.statusCode !== 200) {
    body.resume();
    throw new HttpStatusError(
      body.statusCode ?? 0,
      serverWait(headerGet(body.headers as Record<string, string | undefined>), Date.now()),
    );
  }
  const host = new URL(url).host;
  const stop = (error: Error) => body.destroy(error);
  const total = setTimeout(
    () =>
      stop(
        new RequestBoundError(
          'time',
          `timed out: ${host} took longer than the ${TOTAL_MS / 1000} s a download may take`,
        ),
      ),
    TOTAL_MS,
  );
  const onCancel = () => stop(new Cancelled(`download of ${url}: cancelled (${String(cancel.reason)})`));
  cancel.addEventListener('abort', onCancel);
  try {
    await receive(body, dest, maxBytes, exact);
  } finally {
    clearTimeout(total);
    cancel.removeEventListener('abort', onCancel);
  }
}

async function receive(
  body: IncomingMessage,
  dest: string,
  maxBytes: number | undefined,
  exact: boolean,
): Promise<void> {
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
export async function downloadText(
  url: string,
  dest: string,
  log?: Pick<Log, 'warning'>,
  maxBytes = 64 * 1024 * 1024,
): Promise<string> {
  await download(url, dest, { maxBytes, log });
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
