import { setTimeout as sleep } from 'node:timers/promises';
import { inputError } from '../core/errors';
import { cancelSignal } from '../core/on-signal';
import type { ServerWait } from './wait';

/** Time as the policy sees it: tests give one that does not really wait. */
export interface Clock {
  now(): number;
  /** Rejects with the signal's reason when it aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock; `secondMs` shrinks every wait (tests: milliseconds per second of waiting). */
export const systemClock = (secondMs = 1000): Clock => ({
  now: () => Date.now(),
  sleep: (ms, signal) => sleep((ms * secondMs) / 1000, undefined, { signal }),
});

/** What went wrong with one try, as a caller's `classify` sees it; undefined: trying again cannot help. */
export interface Failure {
  /** One line for the log: `HTTP 503`, `network error: ...`. */
  why: string;
  /** The wait the server asked for (or, for a rate limit without one, the least wait that makes sense). */
  wait?: ServerWait;
  /** A rate limit (`primary rate limit`, `rate limit`): every request of this policy waits, not only the one that met it. */
  limit?: string;
  /** Whose limit, for the failure past the bound: `GitHub`, a host. */
  server?: string;
}

export interface PolicyOptions {
  /** Tries after the first; default 4. */
  retries?: number;
  /** The longest one wait a server may ask for, in seconds; default SAGEWHEELS_MAX_WAIT or 300 (the Hub's window). */
  maxWaitSeconds?: number;
  /** Every try and wait of one operation, in seconds; default SAGEWHEELS_RETRY_TIME or 900. */
  totalSeconds?: number;
  /** What raises `maxWaitSeconds`, named in the failure: an input, or the environment variable. */
  maxWaitName?: string;
  /** Seconds before try `attempt + 1` when the server said nothing; default 2^attempt with jitter. */
  backoff?: (attempt: number) => number;
  clock?: Clock;
  /** Stops waits and tries at once; default: SIGINT or SIGTERM. */
  signal?: AbortSignal;
  log: { warning(message: string): void };
}

/** A server asked for a wait longer than the bound, or the operation's time is spent. */
export class WaitRefused extends Error {
  override name = 'WaitRefused';
}

/** The operation was cancelled (SIGTERM, SIGINT, or the caller's signal). */
export class Cancelled extends Error {
  override name = 'Cancelled';
}

export const MAX_WAIT_ENV = 'SAGEWHEELS_MAX_WAIT';
export const RETRY_TIME_ENV = 'SAGEWHEELS_RETRY_TIME';

/** A whole number of seconds from the environment, else the default; anything else is refused by name. */
export function secondsFromEnv(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const text = env[name]?.trim();
  if (!text) return fallback;
  if (!/^\d{1,9}$/.test(text))
    throw inputError(name, `"${text.slice(0, 40)}" is not a whole number of seconds`, 'Give seconds, like 300');
  return Number(text);
}

const jittered = (attempt: number) => 2 ** attempt * (0.75 + Math.random() / 2);
const utc = (ms: number) => new Date(ms).toISOString().slice(11, 19);

/**
 * The one retry policy of every request sagewheels sends: what `classify` calls retryable is
 * tried again after the server's stated wait (bounded) or a backoff; a rate limit pauses every
 * operation of this policy; each wait is logged; a cancel stops waits at once.
 */
export class RetryPolicy {
  readonly retries: number;
  readonly maxWaitSeconds: number;
  readonly totalSeconds: number;
  private readonly clock: Clock;
  private readonly signal: AbortSignal;
  /** Ends when the last rate limit's wait does. */
  private pause: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: PolicyOptions) {
    this.retries = options.retries ?? 4;
    this.maxWaitSeconds = options.maxWaitSeconds ?? secondsFromEnv(MAX_WAIT_ENV, 300);
    this.totalSeconds = options.totalSeconds ?? secondsFromEnv(RETRY_TIME_ENV, 900);
    this.clock = options.clock ?? systemClock();
    this.signal = options.signal ?? cancelSignal;
  }

  now(): number {
    return this.clock.now();
  }

  /** The signal every request of an operation should carry: aborted on cancel. */
  get cancel(): AbortSignal {
    return this.signal;
  }

  async run<T>(
    what: string,
    operation: (attempt: number) => Promise<T>,
    classify: (error: unknown, attempt: number) => Failure | undefined,
  ): Promise<T> {
    const started = this.clock.now();
    for (let attempt = 0; ; attempt++) {
      await this.wait(what, this.pause);
      try {
        return await operation(attempt);
      } catch (error) {
        if (this.signal.aborted) throw this.cancelled(what, error);
        const failure = classify(error, attempt);
        if (!failure || attempt >= this.retries) throw error;
        // No wait is longer than the bound: a stated one past it is refused below, a backoff is cut to it.
        const seconds =
          failure.wait?.seconds ?? Math.min((this.options.backoff ?? jittered)(attempt), this.maxWaitSeconds);
        const until = this.clock.now() + seconds * 1000;
        if (failure.wait && seconds > this.maxWaitSeconds) {
          const name = this.options.maxWaitName ?? MAX_WAIT_ENV;
          throw new WaitRefused(
            `${what}: ${failure.server ?? 'the server'}'s ${failure.limit ?? 'wait'} holds requests until ${utc(until)} UTC, ` +
              `${Math.ceil(seconds / 60)} min from now (${failure.why}). ` +
              `That is longer than ${name} (${this.maxWaitSeconds} s): rerun after ${utc(until)} UTC, or raise ${name}`,
            { cause: error },
          );
        }
        const spent = (this.clock.now() - started) / 1000;
        if (spent + seconds > this.totalSeconds) {
          throw new WaitRefused(
            `${what}: ${failure.why}; a retry in ${seconds.toFixed(1)} s would pass the ${this.totalSeconds} s ` +
              `this operation may take (${RETRY_TIME_ENV}), ${spent.toFixed(0)} s of which are spent`,
            { cause: error },
          );
        }
        const waiting = this.clock.sleep(seconds * 1000, this.signal);
        if (failure.limit) this.pause = Promise.all([this.pause, waiting]).catch(() => undefined);
        this.options.log.warning(
          `${what}: ${failure.why}; retry ${attempt + 1} of ${this.retries} in ${seconds.toFixed(1)} s` +
            (failure.limit ? ` (${failure.limit}; every request of this step waits until ${utc(until)} UTC)` : '') +
            (failure.wait ? ` [${failure.wait.source}]` : ''),
        );
        await this.wait(what, waiting);
      }
    }
  }

  private async wait(what: string, waiting: Promise<unknown>): Promise<void> {
    if (this.signal.aborted) throw this.cancelled(what);
    try {
      await waiting;
    } catch (error) {
      throw this.signal.aborted ? this.cancelled(what, error) : error;
    }
  }

  private cancelled(what: string, cause?: unknown): Cancelled {
    const reason = this.signal.reason as unknown;
    const why = typeof reason === 'string' ? reason : reason instanceof Error ? reason.message : 'cancelled';
    return new Cancelled(`${what}: cancelled (${why})`, { cause });
  }
}
