import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Log } from '../core/context';
import type { GitHubClient, Repo } from '../github/client';
import type { Asset, Release } from './release';

/** What an HTTP failure says, in one line, without request headers (they carry the token). */
export function describeError(error: unknown): string {
  const e = error as { name?: string; status?: number; response?: unknown; message?: string };
  const message = (e.message ?? String(error))
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);
  if (e.name !== 'HttpError') return message;
  return e.response ? `HTTP ${e.status}: ${message}` : `network error: ${message}`;
}

/** The HTTP error behind an error (ours wrap Octokit's as their cause). */
function httpError(error: unknown): { status?: number; response?: { data?: unknown } } | undefined {
  const e = error as { name?: string; cause?: unknown };
  if (e?.name === 'HttpError') return e as { status?: number; response?: { data?: unknown } };
  return e?.cause ? httpError(e.cause) : undefined;
}

/** The status GitHub answered with; undefined when there was no answer. */
export function httpStatus(error: unknown): number | undefined {
  const e = httpError(error);
  return e?.response ? e.status : undefined;
}

/** GitHub's 422 for a name or tag that is taken. */
export function isAlreadyExists(error: unknown): boolean {
  const data = httpError(error)?.response?.data as { errors?: { code?: string }[] } | undefined;
  return httpStatus(error) === 422 && (data?.errors ?? []).some((e) => e.code === 'already_exists');
}

interface Delay {
  seconds: number;
  rateLimited: boolean;
}

function retryAfterSeconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = /^\d+$/.test(value.trim()) ? Number(value) : (Date.parse(value) - Date.now()) / 1000;
  return Number.isFinite(seconds) ? Math.max(0, seconds) : undefined;
}

/** How long to wait before trying again, or undefined when trying again cannot help. */
function retryDelay(error: unknown, attempt: number): Delay | undefined {
  const backoff = { seconds: 2 ** attempt * (0.75 + Math.random() / 2), rateLimited: false };
  const e = error as {
    name?: string;
    status?: number;
    message?: string;
    response?: { headers?: Record<string, string | undefined> };
  };
  if (e.name !== 'HttpError') return undefined;
  if (!e.response) return backoff; // reset, refused, timed out: no answer at all
  const headers = e.response.headers ?? {};
  const retryAfter = retryAfterSeconds(headers['retry-after']);
  const status = e.status ?? 0;
  if (status === 403 || status === 429) {
    if (retryAfter !== undefined) return { seconds: retryAfter, rateLimited: true };
    if (status === 429 || /secondary rate limit/i.test(e.message ?? '')) return { seconds: 60, rateLimited: true };
    if (headers['x-ratelimit-remaining'] === '0') {
      return { seconds: Math.max(0, Number(headers['x-ratelimit-reset']) - Date.now() / 1000) + 1, rateLimited: true };
    }
    return undefined;
  }
  if (status >= 500) return retryAfter !== undefined ? { seconds: retryAfter, rateLimited: false } : backoff;
  return undefined;
}

export interface TransferOptions {
  retries: number;
  /** Milliseconds per second of waiting (tests shrink it). */
  secondMs: number;
  log: Log;
}

export interface Upload {
  name: string;
  contentType: string;
  size: number;
  /** Hex; tells a finished upload whose answer was lost from a broken one. */
  sha256: string;
  /** A fresh body for each attempt. */
  body: () => Readable | Buffer;
}

/** A small text asset (a listing or a sidecar). */
export function textUpload(name: string, contentType: string, text: string): Upload {
  const data = Buffer.from(text);
  return {
    name,
    contentType,
    size: data.length,
    sha256: createHash('sha256').update(data).digest('hex'),
    body: () => data,
  };
}

/** The upload endpoint of a release, from its upload_url (right on GitHub Enterprise Server too). */
export function uploadUrl(release: Release, name: string): string {
  // encodeURIComponent turns "+" into %2B; sent bare, GitHub reads it as a space and stores ".".
  return `${release.upload_url.replace(/\{[^}]*\}$/, '')}?name=${encodeURIComponent(name)}`;
}

/**
 * Uploads, deletes and downloads of release assets, each retried on what can change (5xx,
 * resets, rate limits with their Retry-After) and never on other 4xx. A rate limit pauses every
 * transfer of this publisher, not just the one that met it.
 */
export class Transfers {
  private pausedUntil = 0;

  constructor(
    private readonly octokit: GitHubClient,
    private readonly repo: Repo,
    private readonly options: TransferOptions,
  ) {}

  async retrying<T>(what: string, operation: (attempt: number) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const paused = this.pausedUntil - Date.now();
      if (paused > 0) await sleep(paused);
      try {
        return await operation(attempt);
      } catch (error) {
        const delay = retryDelay(error, attempt);
        if (!delay || attempt >= this.options.retries) {
          throw Object.assign(new Error(`${what}: ${describeError(error)}`), { cause: error });
        }
        const ms = delay.seconds * this.options.secondMs;
        if (delay.rateLimited) this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
        this.options.log.warning(
          `${what}: ${describeError(error)}; retry ${attempt + 1} of ${this.options.retries} in ${delay.seconds.toFixed(1)} s`,
        );
        await sleep(ms);
      }
    }
  }

  /** Uploads under the exact name; a failed attempt's leftover is removed before the next. */
  async upload(release: Release, item: Upload): Promise<Asset> {
    return this.retrying(`upload ${item.name}`, async (attempt) => {
      if (attempt > 0) {
        const left = (await this.assets(release)).find((a) => a.name === item.name);
        if (left && left.state === 'uploaded' && this.matches(left, item)) return left; // it landed; the answer was lost
        if (left) await this.remove(left);
      }
      const response = await this.octokit.request({
        method: 'POST',
        url: uploadUrl(release, item.name),
        data: item.body(),
        headers: { 'content-type': item.contentType, 'content-length': item.size },
      });
      return response.data as Asset;
    });
  }

  async remove(asset: Pick<Asset, 'id' | 'name'>): Promise<void> {
    await this.retrying(`delete ${asset.name}`, async () => {
      await this.octokit.rest.repos.deleteReleaseAsset({ ...this.repo, asset_id: asset.id }).catch((error: unknown) => {
        if (httpStatus(error) !== 404) throw error; // already gone: someone else removed it
      });
    });
  }

  async download(asset: Pick<Asset, 'id' | 'name'>): Promise<Buffer> {
    return this.retrying(`download ${asset.name}`, async () => {
      const response = await this.octokit.request('GET /repos/{owner}/{repo}/releases/assets/{asset_id}', {
        ...this.repo,
        asset_id: asset.id,
        headers: { accept: 'application/octet-stream' },
      });
      const data = response.data as unknown;
      return typeof data === 'string' ? Buffer.from(data) : Buffer.from(data as ArrayBuffer);
    });
  }

  async assets(release: Release): Promise<Asset[]> {
    return this.retrying(
      `list the assets of ${release.tag_name}`,
      () =>
        this.octokit.paginate(this.octokit.rest.repos.listReleaseAssets, {
          ...this.repo,
          release_id: release.id,
          per_page: 100,
        }) as Promise<Asset[]>,
    );
  }

  private matches(asset: Asset, item: Upload): boolean {
    return asset.size === item.size && (!asset.digest || asset.digest === `sha256:${item.sha256}`);
  }
}
