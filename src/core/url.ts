import { inputError } from './errors';
import { urlPassword } from './secrets';

/** URLs as they may be echoed: each password (found even in a malformed URL) replaced by ***, whatever its length. */
export function shownUrl(value: string): string {
  return value
    .split(/(\s+)/)
    .map((word) => {
      const password = urlPassword(word);
      if (!password) return word;
      const at = word.lastIndexOf('@');
      return word.slice(0, at - password.length) + '***' + word.slice(at);
    })
    .join('');
}

/**
 * Why `value` is not a URL of one of `schemes` (without the colon: 'https', 'redis+unix'), or
 * undefined. Schemes that name a host (http, https, redis) need one.
 */
export function urlProblem(value: string, schemes: readonly string[]): string | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1]?.toLowerCase();
  if (!scheme) return `"${shownUrl(value)}" is not a URL`;
  if (!schemes.includes(scheme)) return `"${scheme}:" is not allowed here`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `"${shownUrl(value)}" is not a URL`;
  }
  if (['http', 'https', 'redis'].includes(scheme) && (!value.slice(scheme.length + 1).startsWith('//') || !url.host))
    return `"${shownUrl(value)}" names no host (${scheme}://HOST/...)`;
  return undefined;
}

const isLoopback = (host: string): boolean =>
  host === 'localhost' || host.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '[::1]';

/**
 * A token rides in a header of every request to `url`: over plain http it would cross the network
 * readable by anyone on the way. Only a loopback host, or an input saying so, may have it.
 */
export function checkTokenTransport(input: string, url: string, allowInsecure: boolean): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return; // the URL's own reader refuses it
  }
  if (parsed.protocol !== 'http:' || allowInsecure || isLoopback(parsed.hostname)) return;
  throw inputError(
    input,
    `"${shownUrl(url)}" is plain http to ${parsed.hostname}, which would carry the token unencrypted`,
    'Give an https URL, or set allow-insecure-http: true to send it anyway',
  );
}
