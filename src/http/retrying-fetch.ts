import { errorMessage } from '../core/errors';
import { Cancelled, type Failure, type RetryPolicy } from './policy';
import { API_BOUNDS, boundedFetch, RequestBoundError, type RequestBounds } from './request';
import { headerGet, serverWait } from './wait';

/** An answer worth trying again: a 429 or 5xx, with the wait its headers ask for. */
export function answerFailure(status: number, headers: Headers, host: string, nowMs: number): Failure | undefined {
  if (status !== 429 && status < 500) return undefined;
  const wait = serverWait(headerGet(headers), nowMs);
  if (status !== 429) return { why: `HTTP ${status}`, wait };
  // A 429 that says nothing of when: ten seconds, as before the Hub documented its RateLimit field.
  return {
    why: `HTTP ${status}`,
    wait: wait ?? { seconds: 10, source: 'none stated: 10 s' },
    limit: 'rate limit',
    server: host,
  };
}

/** The method and URL without its query, for a log line (the token only ever rides in a header). */
function describe(input: string | URL | Request, init?: RequestInit): string {
  const url = new URL(input instanceof Request ? input.url : input.toString());
  return `${init?.method ?? (input instanceof Request ? input.method : 'GET')} ${url.origin}${url.pathname}`;
}

class Retryable extends Error {
  constructor(readonly failure: Failure) {
    super(failure.why);
  }
}

/**
 * fetch through the policy: 429, 5xx and dropped connections tried again (the server's wait
 * honoured up to the bound), each request bounded. The last answer of a server that keeps
 * failing is returned as it is, for the caller to read; a wait past the bound throws. Bodies must be ones that can be sent
 * again (strings, Blobs: what @huggingface/hub sends).
 */
export function retryingFetch(policy: RetryPolicy, bounds: RequestBounds = API_BOUNDS): typeof fetch {
  const send = boundedFetch(bounds, { signal: policy.cancel });
  return async (input, init) => {
    const host = new URL(input instanceof Request ? input.url : input.toString()).host;
    return policy.run(
      describe(input, init),
      async (attempt) => {
        const response = await send(input, init);
        const failure = answerFailure(response.status, response.headers, host, policy.now());
        if (!failure || attempt >= policy.retries) return response;
        await response.body?.cancel().catch(() => undefined);
        throw new Retryable(failure);
      },
      (error) => {
        if (error instanceof Retryable) return error.failure;
        if (init?.signal?.aborted || error instanceof Cancelled) return undefined;
        if (error instanceof RequestBoundError && error.bound === 'size') return undefined;
        return { why: `network error: ${errorMessage(error)}` };
      },
    );
  };
}
