import { randomUUID } from 'node:crypto';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import { ConfigurationError } from '../core/errors';

export const GitHub = Octokit.plugin(retry, throttling);
export type GitHubClient = InstanceType<typeof GitHub>;

export interface Repo {
  owner: string;
  repo: string;
}

/** GITHUB_REPOSITORY ("owner/name") of the running workflow. */
export function repoFromEnv(env: NodeJS.ProcessEnv = process.env): Repo {
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? '').split('/');
  if (!owner || !repo)
    throw new ConfigurationError('GITHUB_REPOSITORY is not set: run inside a workflow, or set it to owner/name');
  return { owner, repo };
}

/** GitHub Enterprise Server: a server other than github.com and GHE.com (data residency) hosts. */
export function isEnterpriseServer(serverUrl: string | undefined): boolean {
  const host = new URL(serverUrl || 'https://github.com').hostname.toLowerCase();
  return host !== 'github.com' && !host.endsWith('.ghe.com') && !host.endsWith('.localhost');
}

export interface ClientOptions {
  token: string;
  /** REST base; GitHub Enterprise Server gives https://HOST/api/v3. Defaults to GITHUB_API_URL. */
  apiUrl?: string;
  /** Retries of 5xx and resets (plugin-retry); rate limits are waited out by plugin-throttling. */
  retries?: number;
  log?: { warn: (message: string) => void };
  /** Milliseconds per second of Retry-After and of retry backoff (tests shrink it); default 1000. */
  retryAfterBaseValue?: number;
  /**
   * No retry and no throttling plugin: the caller owns every retry. For uploads, whose retry must
   * reopen the file and remove the `starter` asset a failed attempt leaves, and which would
   * otherwise pass plugin-throttling's write queue (one write started per second per client).
   */
  bare?: boolean;
}

/** Octokit with retries and rate-limit handling; the token never reaches a log line. */
export function gitHubClient(options: ClientOptions): GitHubClient {
  const warn = options.log?.warn ?? (() => undefined);
  const retries = options.retries ?? 3;
  const retryAfterBaseValue = options.retryAfterBaseValue ?? 1000;
  return new GitHub({
    auth: options.token,
    baseUrl: options.apiUrl || process.env.GITHUB_API_URL || 'https://api.github.com',
    userAgent: 'sagewheels',
    // Octokit logs every failed request as an error, expected 404s included; failures that matter reach the caller.
    log: { debug: () => undefined, info: () => undefined, warn, error: () => undefined },
    retry: { enabled: !options.bare, retries, retryAfterBaseValue },
    throttle: {
      enabled: !options.bare,
      retryAfterBaseValue,
      // Each client queues on its own, as separate jobs do; the default id shares one queue per process.
      id: `sagewheels-${randomUUID()}`,
      onRateLimit: (retryAfter, request, _octokit, retryCount) => {
        warn(`rate limit on ${request.method} ${request.url}; retrying in ${retryAfter} s`);
        return retryCount < retries;
      },
      onSecondaryRateLimit: (retryAfter, request, _octokit, retryCount) => {
        warn(`secondary rate limit on ${request.method} ${request.url}; retrying in ${retryAfter} s`);
        return retryCount < retries;
      },
    },
  });
}
