/** A wait a server asked for, in seconds, and the header that asked (for the log). */
export interface ServerWait {
  seconds: number;
  source: string;
}

/** Header lookup by lower-case name; fetch's Headers and Octokit's header objects both fit. */
export type HeaderGet = (name: string) => string | undefined;

export const headerGet =
  (headers: Headers | Record<string, string | number | undefined> | undefined): HeaderGet =>
  (name) => {
    if (!headers) return undefined;
    const value = headers instanceof Headers ? headers.get(name) : headers[name];
    return value === null || value === undefined ? undefined : String(value);
  };

// RFC 9110's HTTP-date: IMF-fixdate, the obsolete RFC 850 form, and asctime (which is GMT without saying so).
const HTTP_DATE = /^[A-Za-z]{3,9}, \d{2}[ -][A-Za-z]{3}[ -]\d{2,4} \d{2}:\d{2}:\d{2} GMT$/;
const ASCTIME = /^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/** Retry-After: delay-seconds or an HTTP-date; undefined for anything else. */
export function retryAfterSeconds(value: string | undefined, nowMs: number): number | undefined {
  const text = value?.trim() ?? '';
  if (/^\d{1,15}$/.test(text)) return Number(text);
  const date = HTTP_DATE.test(text) ? Date.parse(text) : ASCTIME.test(text) ? Date.parse(`${text} GMT`) : NaN;
  return Number.isFinite(date) ? Math.max(0, (date - nowMs) / 1000) : undefined;
}

/** The parameters of each item of a structured-field list (RFC 9651), by item; tolerant of spaces. */
function structuredList(value: string): { name: string; params: Map<string, string> }[] {
  return value.split(',').map((item) => {
    const [name = '', ...params] = item.split(';').map((part) => part.trim());
    return {
      name: name.replace(/^"(.*)"$/, '$1'),
      params: new Map(
        params.map((p) => {
          const at = p.indexOf('=');
          return at < 0 ? [p, '?1'] : [p.slice(0, at).trim(), p.slice(at + 1).trim()];
        }),
      ),
    };
  });
}

const seconds = (text: string | undefined): number | undefined =>
  text !== undefined && /^\d{1,15}$/.test(text) ? Number(text) : undefined;

/**
 * The IETF RateLimit field (draft-ietf-httpapi-ratelimit-headers), as the Hugging Face Hub sends
 * it: `"api";r=0;t=55`. The wait is the longest `t` of an exhausted item (r=0); an item without
 * `t` waits its policy's window (`RateLimit-Policy: "fixed window";"api";q=500;w=300`). Earlier drafts' `reset=`
 * and `RateLimit-Reset` are read as well.
 */
export function rateLimitSeconds(get: HeaderGet): ServerWait | undefined {
  const field = get('ratelimit');
  const policies = structuredList(get('ratelimit-policy') ?? '');
  // The Hub names its policy after its kind: `"fixed window";"api";q=500;w=300`.
  const policyOf = (name: string) => policies.find((p) => p.name === name || p.params.has(`"${name}"`))?.params;
  let found: ServerWait | undefined;
  for (const item of field ? structuredList(field) : []) {
    const remaining = item.params.get('r') ?? item.params.get('remaining');
    if (remaining !== undefined && remaining !== '0') continue;
    const t = seconds(item.params.get('t') ?? item.params.get('reset'));
    const window = seconds(policyOf(item.name)?.get('w'));
    const wait =
      t !== undefined
        ? { seconds: t, source: `RateLimit t=${t}` }
        : window !== undefined
          ? { seconds: window, source: `RateLimit-Policy w=${window}` }
          : undefined;
    if (wait && wait.seconds >= (found?.seconds ?? 0)) found = wait;
  }
  // draft 03-06: separate fields
  const reset = seconds(get('ratelimit-reset'));
  if (!found && reset !== undefined && get('ratelimit-remaining') === '0')
    found = { seconds: reset, source: `RateLimit-Reset ${reset}` };
  return found;
}

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 19);

/** GitHub's primary limit: x-ratelimit-remaining 0 until x-ratelimit-reset (epoch seconds), and a second for the clocks' skew. */
export function gitHubResetSeconds(get: HeaderGet, nowMs: number): ServerWait | undefined {
  const reset = seconds(get('x-ratelimit-reset'));
  if (get('x-ratelimit-remaining') !== '0' || reset === undefined) return undefined;
  return { seconds: Math.max(0, reset - nowMs / 1000) + 1, source: `x-ratelimit-reset ${clock(reset * 1000)} UTC` };
}

/** The wait a server's answer asks for, from whichever header says it: Retry-After first, then RateLimit, then GitHub's reset. */
export function serverWait(get: HeaderGet, nowMs: number): ServerWait | undefined {
  const retryAfter = retryAfterSeconds(get('retry-after'), nowMs);
  if (retryAfter !== undefined) return { seconds: retryAfter, source: `Retry-After ${get('retry-after')!.trim()}` };
  return rateLimitSeconds(get) ?? gitHubResetSeconds(get, nowMs);
}
