import { setTimeout as sleep } from 'node:timers/promises';
import { describeError, httpError } from './errors';

export interface RetryOptions {
  /** Tries after the first; default 4. */
  retries?: number;
  /** Milliseconds per second of waiting (tests shrink it); default 1000. */
  secondMs?: number;
  /** The longest single wait for a rate limit, in seconds; a longer one fails with the reset time. Default 300. */
  maxWaitSeconds?: number;
  log: { warning(message: string): void };
}

interface Delay {
  seconds: number;
  /** A rate limit: every request of this client waits, not only the one that met it. */
  limit?: 'primary' | 'secondary';
}

/** GitHub's rate limit is spent for longer than the caller agreed to wait. */
export class RateLimitExhausted extends Error {
  override name = 'RateLimitExhausted';
}

function retryAfterSeconds(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  const seconds = /^\d+$/.test(text) ? Number(text) : (Date.parse(text) - Date.now()) / 1000;
  return Number.isFinite(seconds) ? Math.max(0, seconds) : undefined;
}

/**
 * How long to wait before trying again, or undefined when trying again cannot help. Rate limits
 * as GitHub documents them: Retry-After when given; else, with x-ratelimit-remaining 0, until
 * x-ratelimit-reset; else (a secondary limit, a 429) at least a minute, doubling each time.
 */
export function retryDelay(error: unknown, attempt: number): Delay | undefined {
  const e = httpError(error);
  if (!e || e !== error) return undefined; // our own errors, and those already explained
  const backoff = { seconds: 2 ** attempt * (0.75 + Math.random() / 2) };
  if (!e.response) return backoff; // reset, refused, timed out: no answer at all
  const headers = e.response.headers ?? {};
  const retryAfter = retryAfterSeconds(headers['retry-after']);
  const status = e.status ?? 0;
  if (status === 403 || status === 429) {
    const primary = String(headers['x-ratelimit-remaining']) === '0';
    if (retryAfter !== undefined) return { seconds: retryAfter, limit: primary ? 'primary' : 'secondary' };
    if (primary) {
      return { seconds: Math.max(0, Number(headers['x-ratelimit-reset']) - Date.now() / 1000) + 1, limit: 'primary' };
    }
    if (status === 429 || /secondary rate limit/i.test(e.message ?? ''))
      return { seconds: 60 * 2 ** attempt, limit: 'secondary' };
    return undefined;
  }
  if (status >= 500) return retryAfter !== undefined ? { seconds: retryAfter } : backoff;
  return undefined;
}

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 19);

/**
 * The one retry policy of every request to GitHub: 5xx and resets with backoff, rate limits
 * with the wait GitHub asks for, up to `maxWaitSeconds`, each wait said in a warning. A rate
 * limit pauses every request of this policy, not just the one that met it.
 */
export class RetryPolicy {
  private pausedUntil = 0;
  readonly retries: number;
  readonly secondMs: number;
  readonly maxWaitSeconds: number;

  constructor(private readonly options: RetryOptions) {
    this.retries = options.retries ?? 4;
    this.secondMs = options.secondMs ?? 1000;
    this.maxWaitSeconds = options.maxWaitSeconds ?? 300;
  }

  async run<T>(what: string, operation: (attempt: number) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const paused = this.pausedUntil - Date.now();
      if (paused > 0) await sleep(paused);
      try {
        return await operation(attempt);
      } catch (error) {
        const delay = retryDelay(error, attempt);
        if (!delay || attempt >= this.retries) {
          if (httpError(error) !== error) throw error;
          throw Object.assign(new Error(`${what}: ${describeError(error)}`), { cause: error });
        }
        const until = Date.now() + delay.seconds * 1000;
        if (delay.limit && delay.seconds > this.maxWaitSeconds) {
          throw Object.assign(
            new RateLimitExhausted(
              `${what}: GitHub's ${delay.limit} rate limit holds requests until ${clock(until)} UTC, ` +
                `${Math.ceil(delay.seconds / 60)} min from now (${describeError(error)}). ` +
                `That is longer than rate-limit-wait (${this.maxWaitSeconds} s): rerun after ${clock(until)} UTC, or raise rate-limit-wait`,
            ),
            { cause: error },
          );
        }
        const ms = delay.seconds * this.secondMs;
        if (delay.limit) this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
        this.options.log.warning(
          `${what}: ${describeError(error)}; retry ${attempt + 1} of ${this.retries} in ${delay.seconds.toFixed(1)} s` +
            (delay.limit
              ? ` (${delay.limit} rate limit; every request of this step waits until ${clock(until)} UTC)`
              : ''),
        );
        await sleep(ms);
      }
    }
  }
}
