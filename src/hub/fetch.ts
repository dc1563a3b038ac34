import { setTimeout as sleep } from 'node:timers/promises';
import type { Log } from '../core/context';

export interface RetryOptions {
  retries: number;
  /** Milliseconds per second of waiting (tests shrink it). */
  secondMs: number;
  log: Log;
}

function retryAfterSeconds(value: string | null): number | undefined {
  if (value === null) return undefined;
  const seconds = /^\d+$/.test(value.trim()) ? Number(value) : (Date.parse(value) - Date.now()) / 1000;
  return Number.isFinite(seconds) ? Math.max(0, seconds) : undefined;
}

/** The request's method and URL without its query, for a log line (the token only ever rides in a header). */
function describe(input: string | URL | Request, init?: RequestInit): string {
  const url = new URL(input instanceof Request ? input.url : input.toString());
  return `${init?.method ?? (input instanceof Request ? input.method : 'GET')} ${url.origin}${url.pathname}`;
}

/**
 * fetch that tries again what can change (5xx, 429 with its Retry-After, a dropped connection) and
 * nothing else. @huggingface/hub sends strings and Blobs as bodies, which can be sent again. A
 * commit whose answer was lost is sent again with the same parent: the Hub then refuses it as
 * stale (412), and the caller finds its files already on the new head.
 */
export function retryingFetch(options: RetryOptions): typeof fetch {
  let pausedUntil = 0; // a 429 pauses every request of this publisher, not just the one that met it
  return async (input, init) => {
    for (let attempt = 0; ; attempt++) {
      const paused = pausedUntil - Date.now();
      if (paused > 0) await sleep(paused);
      let seconds: number;
      let why: string;
      try {
        const response = await fetch(input, init);
        if (response.status !== 429 && response.status < 500) return response;
        if (attempt >= options.retries) return response;
        const retryAfter = retryAfterSeconds(response.headers.get('retry-after'));
        seconds = retryAfter ?? (response.status === 429 ? 10 : 2 ** attempt * (0.75 + Math.random() / 2));
        if (response.status === 429) pausedUntil = Math.max(pausedUntil, Date.now() + seconds * options.secondMs);
        why = `HTTP ${response.status}`;
        await response.body?.cancel();
      } catch (error) {
        if (init?.signal?.aborted || attempt >= options.retries) throw error;
        seconds = 2 ** attempt * (0.75 + Math.random() / 2);
        why = `network error: ${(error as Error).message}`;
      }
      options.log.warning(
        `${describe(input, init)}: ${why}; retry ${attempt + 1} of ${options.retries} in ${seconds.toFixed(1)} s`,
      );
      await sleep(seconds * options.secondMs);
    }
  };
}
