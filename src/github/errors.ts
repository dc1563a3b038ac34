import { ConfigurationError, inputError } from '../core/errors';
import { quoteBody } from '../core/secrets';

/** What an HTTP failure says, in one line, without request headers (they carry the token). */
export function describeError(error: unknown): string {
  const e = error as { name?: string; status?: number; response?: unknown; message?: string };
  const message = quoteBody((e.message ?? String(error)).replace(/<[^>]*>/g, ' '), 200);
  if (e.name !== 'HttpError') return message;
  return e.response ? `HTTP ${e.status}: ${message}` : `network error: ${message}`;
}

export interface HttpFailure {
  name?: string;
  status?: number;
  message?: string;
  response?: { data?: unknown; headers?: Record<string, string | number | undefined> };
}

/** The HTTP error behind an error (ours wrap Octokit's as their cause). */
export function httpError(error: unknown): HttpFailure | undefined {
  const e = error as { name?: string; cause?: unknown };
  if (e?.name === 'HttpError') return e as HttpFailure;
  return e?.cause ? httpError(e.cause) : undefined;
}

/** The status GitHub answered with; undefined when there was no answer. */
export function httpStatus(error: unknown): number | undefined {
  const e = httpError(error);
  return e?.response ? e.status : undefined;
}

/** Everything GitHub said: its message and each entry of `errors`. */
function answerText(error: unknown): string {
  const e = httpError(error);
  const data = e?.response?.data as { message?: string; errors?: { message?: string; code?: string }[] } | undefined;
  return [e?.message, data?.message, ...(data?.errors ?? []).map((x) => x.message ?? '')].join(' ');
}

/** GitHub's 422 for a name or tag that is taken. */
export function isAlreadyExists(error: unknown): boolean {
  const data = httpError(error)?.response?.data as { errors?: { code?: string }[] } | undefined;
  return httpStatus(error) === 422 && (data?.errors ?? []).some((e) => e.code === 'already_exists');
}

/**
 * GitHub's refusals on a repository with immutable releases: an upload to a published release
 * ("Cannot upload assets to an immutable release."), or a new release for a tag an immutable
 * release once used.
 */
export function isImmutableRefusal(error: unknown): boolean {
  return httpStatus(error) === 422 && /immutable/i.test(answerText(error));
}

/**
 * The refusal GITHUB_TOKEN meets when a tag would be created on a commit whose
 * .github/workflows/ differs: 403 "Resource not accessible by integration" (404 on some
 * endpoints), with `x-accepted-github-permissions` naming workflows=write.
 */
export function isWorkflowsRefusal(error: unknown): boolean {
  const status = httpStatus(error);
  const accepted = String(httpError(error)?.response?.headers?.['x-accepted-github-permissions'] ?? '');
  return (status === 403 || status === 404) && /workflows=write/.test(accepted);
}

export function isRateLimited(error: unknown): boolean {
  const e = httpError(error);
  const status = httpStatus(error);
  if (status === 429) return true;
  if (status !== 403) return false;
  return e?.response?.headers?.['x-ratelimit-remaining'] === '0' || /rate limit/i.test(answerText(error));
}

/**
 * The one place where GitHub's 401, 403 and 404 become what the user must change: the token,
 * its permissions, or the API URL. Other failures pass through.
 */
export function explainAccess(error: unknown, where: { repo: string; apiUrl: string; write: boolean }): unknown {
  const { repo, apiUrl, write } = where;
  const need = write
    ? "Give a token that may write this repository's releases (permissions: contents: write)"
    : 'Give a token that can read the releases of this repository';
  if (error instanceof ConfigurationError) return error;
  const e = httpError(error);
  const status = httpStatus(error);
  if (e && status === undefined)
    return new Error(`GitHub API at ${apiUrl} could not be reached: ${describeError(e)}`, { cause: error });
  if (status === 401)
    return inputError('token', 'GitHub refused it (401 Bad credentials)', write ? 'Give a valid token' : need);
  if (isWorkflowsRefusal(error)) return error; // the caller knows which tag and says what to do
  if ((status === 403 && !isRateLimited(error)) || status === 404) {
    return inputError('token', `GitHub answered ${status} for ${repo} (${describeError(e)})`, need);
  }
  return error;
}
