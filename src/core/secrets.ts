/**
 * The one masker. Every secret is added here when its input is read (a token, the password of a
 * URL input), and every text a person can see passes through `mask`: the log of the action and
 * the CLI, error messages, job summaries and outputs. @actions/core's setSecret masks only on
 * GitHub's side, so the CLI and the summary file need this too.
 */

/**
 * Shorter secrets are not masked as plain text: "pw" would turn every "pw" of the log into ***.
 * Wherever they stand in a credential's place (a URL's user:password@, `Bearer ...`) they still are.
 */
export const MIN_SECRET_LENGTH = 4;

// One list for the process: the action and the CLI run one step (or one pipeline) per process.
const secrets = new Set<string>();

/** Masks `value` from now on, and the forms a tool may print instead: percent-decoded, JSON-escaped. */
export function addSecret(value: string | undefined): void {
  if (!value) return;
  for (const form of [value, decoded(value), JSON.stringify(value).slice(1, -1)])
    if (form && form.length >= MIN_SECRET_LENGTH) secrets.add(form);
}

function decoded(value: string | undefined): string | undefined {
  try {
    return value && decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/**
 * The user:password (or lone redis password) of a URL as written, even a malformed one
 * (`redis:/alice:pw@host`): everything between the scheme and the last "@" of the word, so a
 * password holding "@" or "/" is taken whole. Its password part is returned (the whole userinfo
 * when it has no ":", which redis:// reads as a password).
 */
export function urlPassword(url: string): string | undefined {
  const rest = /^\s*[a-z][a-z0-9+.-]*:\/*(\S*)/i.exec(url)?.[1];
  const at = rest?.lastIndexOf('@') ?? -1;
  if (!rest || at <= 0) return undefined;
  const userinfo = rest.slice(0, at);
  const colon = userinfo.indexOf(':');
  return colon < 0 ? userinfo : userinfo.slice(colon + 1) || undefined;
}

/** The password of every URL in `text` (URLs separated by spaces), and ccache's |bearer-token=... attributes. */
export function urlSecrets(text: string): string[] {
  const found = text
    .split(/\s+/)
    .flatMap((word) => [
      urlPassword(word),
      urlPassword(word.split('|')[0]!),
      /\|bearer-token=([^|\s]+)/.exec(word)?.[1],
    ])
    .filter((secret): secret is string => Boolean(secret));
  return [...new Set(found)];
}

// Credentials by their place, whoever wrote them: a URL's password, an Authorization header, a
// known token format, a JSON or query token field. Each keeps its label and loses its value.
const CREDENTIALS: [RegExp, string][] = [
  // Up to the last "@" of the word, as urlPassword reads it: a password may hold "@".
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s/@:]*:)\S*@/gi, '$1***@'],
  [/\b(redis(?:\+unix)?:\/\/)[^\s/@:]\S*@/gi, '$1***@'],
  [/\b((?:proxy-)?authorization|x-api-key|cookie|set-cookie)(["']?\s*[:=]\s*["']?)[^"'\r\n]+/gi, '$1$2***'],
  [/\b(bearer|basic|token)(\s+)(?=[A-Za-z0-9._~+/=-]*\d)[A-Za-z0-9._~+/=-]{16,}/gi, '$1$2***'],
  [/\b(?:gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{16,}|hf_[A-Za-z0-9]{16,})/g, '***'],
  [/(["'](?:password|passwd|secret|token|access_token|api_key|apikey)["']\s*:\s*["'])[^"']*/gi, '$1***'],
  [/([?&](?:access_token|token|password|api_key|apikey)=)[^\s&#"']+/gi, '$1***'],
];

/** `text` with every registered secret, and anything in a credential's place, replaced by ***. */
export function mask(text: string): string {
  let masked = text;
  // Longest first: a secret that contains another is masked whole.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) masked = masked.split(secret).join('***');
  for (const [pattern, replacement] of CREDENTIALS) masked = masked.replace(pattern, replacement);
  return masked;
}

/** A server's answer quoted in an error: masked, one line, and cut to `max` characters. */
export function quoteBody(body: string, max = 300): string {
  // Cut well past `max` first (a body may be large), then mask, then cut: no secret is split before masking.
  const line = mask(body.slice(0, max * 4))
    .replace(/\s+/g, ' ')
    .trim();
  return line.length > max ? `${line.slice(0, max)}...` : line;
}

/** For tests: forget every secret. */
export function forgetSecrets(): void {
  secrets.clear();
}
