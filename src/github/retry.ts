import { RetryPolicy, WaitRefused, type Failure } from '../http/policy';
import { headerGet, serverWait } from '../http/wait';
import { describeError, httpError } from './errors';

/** GitHub's rate limit is spent for longer than the caller agreed to wait. */
export { WaitRefused as RateLimitExhausted };

/**
 * Whether trying again can help, and after what wait. Rate limits as GitHub documents them:
 * Retry-After when given; else, with x-ratelimit-remaining 0, until x-ratelimit-reset; else (a
 * secondary limit, a 429) at least a minute, doubling each time. 5xx and no answer: backoff.
 */
export function gitHubFailure(error: unknown, attempt: number, nowMs: number): Failure | undefined {
  const e = httpError(error);
  if (!e || e !== error) return undefined; // our own errors, and those already explained
  const why = describeError(error);
  if (!e.response) return { why }; // reset, refused, timed out: no answer at all
  const get = headerGet(e.response.headers);
  const wait = serverWait(get, nowMs);
  const status = e.status ?? 0;
  if (status === 403 || status === 429) {
    const primary = get('x-ratelimit-remaining') === '0';
    if (wait) return { why, wait, limit: primary ? 'primary rate limit' : 'secondary rate limit', server: 'GitHub' };
    if (status === 429 || /secondary rate limit/i.test(e.message ?? ''))
      return {
        why,
        wait: { seconds: 60 * 2 ** attempt, source: 'none stated: a minute, doubling' },
        limit: 'secondary rate limit',
        server: 'GitHub',
      };
    return undefined;
  }
  if (status >= 500) return { why, wait };
  return undefined;
}

/** `operation` under the policy; a final HTTP failure is said in one line after `what`. */
export async function gitHubCall<T>(
  policy: RetryPolicy,
  what: string,
  operation: (attempt: number) => Promise<T>,
): Promise<T> {
  try {
    return await policy.run(what, operation, (error, attempt) => gitHubFailure(error, attempt, policy.now()));
  } catch (error) {
    if (httpError(error) !== error) throw error;
    throw Object.assign(new Error(`${what}: ${describeError(error)}`), { cause: error });
  }
}
