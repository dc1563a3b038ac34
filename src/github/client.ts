import { Octokit } from '@octokit/rest';
import { ConfigurationError } from '../core/errors';
import { cancelSignal } from '../core/on-signal';
import { readOwnerName } from '../core/owner-name';
import { boundedFetch } from '../http/request';

export type GitHubClient = Octokit;

export interface Repo {
  owner: string;
  repo: string;
}

/** GITHUB_REPOSITORY ("owner/name") of the running workflow. */
export function repoFromEnv(env: NodeJS.ProcessEnv = process.env): Repo {
  if (!env.GITHUB_REPOSITORY)
    throw new ConfigurationError('GITHUB_REPOSITORY is not set: run inside a workflow, or set it to owner/name');
  const [owner, repo] = readOwnerName(env.GITHUB_REPOSITORY, 'GITHUB_REPOSITORY');
  return { owner, repo };
}

/** GitHub Enterprise Server: a server other than github.com and GHE.com (data residency) hosts. */
export function isEnterpriseServer(serverUrl: string | undefined): boolean {
  const host = new URL(serverUrl || 'https://github.com').hostname.toLowerCase();
  return host !== 'github.com' && !host.endsWith('.ghe.com') && !host.endsWith('.localhost');
}

/** Requests this client sent, and GitHub's rate-limit budget as its last answer stated it. */
export interface Usage {
  requests: number;
  limit?: number;
  remaining?: number;
  /** Epoch seconds. */
  reset?: number;
}

export interface ClientOptions {
  token: string;
  /** REST base; GitHub Enterprise Server gives https://HOST/api/v3. Defaults to GITHUB_API_URL. */
  apiUrl?: string;
  /** Aborts requests in flight; default: SIGINT or SIGTERM. */
  signal?: AbortSignal;
}

/**
 * Octokit without its retry and throttling plugins (the policy in src/http owns every retry and
 * wait), each request bounded (src/http/request.ts), counting the requests it sends. The token
 * never reaches a log line.
 */
export function gitHubClient(options: ClientOptions): { octokit: GitHubClient; usage: Usage } {
  const usage: Usage = { requests: 0 };
  const octokit = new Octokit({
    auth: options.token,
    baseUrl: options.apiUrl || process.env.GITHUB_API_URL || 'https://api.github.com',
    userAgent: 'sagewheels',
    request: { fetch: boundedFetch(undefined, { signal: options.signal ?? cancelSignal }) },
    // Octokit logs every failed request as an error, expected 404s included; failures that matter reach the caller.
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  });
  const note = (headers: Record<string, string | number | undefined> | undefined) => {
    const number = (name: string) => (headers?.[name] === undefined ? undefined : Number(headers[name]));
    if (number('x-ratelimit-remaining') === undefined) return;
    Object.assign(usage, {
      limit: number('x-ratelimit-limit'),
      remaining: number('x-ratelimit-remaining'),
      reset: number('x-ratelimit-reset'),
    });
  };
  octokit.hook.wrap('request', async (request, requestOptions) => {
    usage.requests++;
    try {
      const response = await request(requestOptions);
      note(response.headers);
      return response;
    } catch (error) {
      note((error as { response?: { headers?: Record<string, string> } }).response?.headers);
      throw error;
    }
  });
  return { octokit, usage };
}
