import { openAsBlob } from 'node:fs';
import {
  checkRepoAccess,
  commit,
  createBranch,
  createRepo,
  datasetInfo,
  downloadFile,
  HubApiError,
  listFiles,
  modelInfo,
  type RepoDesignation,
  whoAmI,
} from '@huggingface/hub';
import { type HubAccessToken, tokenMayWrite } from './access';
import type { Log } from '../core/context';
import { inputError } from '../core/errors';
import { quoteBody } from '../core/secrets';
import { RetryPolicy, systemClock, type PolicyOptions } from '../http/policy';
import type { RequestBounds } from '../http/request';
import { retryingFetch } from '../http/retrying-fetch';

export type RepoType = 'model' | 'dataset';

/** A Hub repository: `name` is owner/name. */
export interface HubRepo {
  type: RepoType;
  name: string;
}

/** A file of a commit's tree. */
export interface HubFile {
  path: string;
  size: number;
  /** sha256 of the content, which the Hub reports for files stored with LFS (or Xet). */
  sha256?: string;
  /** The git blob id, for files stored in git itself. */
  gitOid?: string;
}

/** What one commit adds or replaces: a local file (uploaded through LFS) or a small text. */
export type HubUpload = { path: string; file: string } | { path: string; text: string };

/** The Hub as publishing uses it; `hubClient` is the real one, over @huggingface/hub. */
export interface HubClient {
  readonly endpoint: string;
  /** Whether the token may write `repo` (whoami-v2); undefined when the Hub does not say. */
  mayWrite(repo: HubRepo): Promise<boolean | undefined>;
  /** False when the repository does not exist; a token the Hub refuses throws (HubApiError 401/403). */
  repoExists(repo: HubRepo): Promise<boolean>;
  /** Creates the repository; false when it exists meanwhile (another job made it). */
  createRepo(repo: HubRepo): Promise<boolean>;
  /** The commit a branch points at, or undefined when there is no such branch. */
  head(repo: HubRepo, branch: string): Promise<string | undefined>;
  /** Creates a branch from the default branch; false when it exists meanwhile. */
  createBranch(repo: HubRepo, branch: string): Promise<boolean>;
  /** The files under a folder ('' for all) at a commit. */
  files(repo: HubRepo, commit: string, folder: string): Promise<HubFile[]>;
  /** A small file's text at a commit, or undefined when it does not exist. */
  text(repo: HubRepo, commit: string, path: string): Promise<string | undefined>;
  /**
   * One commit on `branch` made on top of `parent`. 'stale' when the branch moved past `parent`
   * (the Hub's 412): nothing was committed, and the caller decides again from the new head.
   */
  commit(
    repo: HubRepo,
    change: { branch: string; parent: string; title: string; uploads: HubUpload[] },
  ): Promise<{ oid: string; url: string } | 'stale'>;
}

export interface HubClientOptions extends Omit<PolicyOptions, 'log'> {
  token: string;
  /** https://huggingface.co, a private Hub or a mirror. */
  endpoint: string;
  log: Log;
  /** Milliseconds per second of waiting (tests shrink it), when no clock is given; default 1000. */
  secondMs?: number;
  bounds?: RequestBounds;
}

export const statusOf = (error: unknown): number | undefined =>
  error instanceof HubApiError ? error.statusCode : undefined;

/** The Hub's refusals that mean the token is wrong, as errors naming hf-token; no answer at all, as one line naming the Hub. */
export function explainHubError(error: unknown, target: { repo: HubRepo; endpoint: string }): unknown {
  const status = statusOf(error);
  // The Hub's messages end with ". URL: ..."; a server may echo the Authorization header into the rest.
  const message = quoteBody(((error as Error).message ?? '').replace(/\. URL: .*$/, ''));
  if (status === 401)
    return inputError('hf-token', `the Hub at ${target.endpoint} refused it (401 ${message})`, 'Give a valid token');
  if (status === 403) {
    return inputError(
      'hf-token',
      `the Hub answered 403 for ${target.repo.type} ${target.repo.name} (${message})`,
      'Give a token with write access to hf-repo (a write token, or a fine-grained one that may write this repository)',
    );
  }
  if (error instanceof HubApiError) {
    // An LFS storage URL's query is a presigned credential: the log gets the URL without it.
    error.message = quoteBody(error.message.replace(/(https?:\/\/[^\s?]+)\?\S*/g, '$1'), 500);
    return error;
  }
  if (error instanceof TypeError && /fetch failed/.test(error.message)) {
    const cause = (error.cause as Error | undefined)?.message ?? '';
    return new Error(`the Hub at ${target.endpoint} could not be reached: ${cause || error.message}`);
  }
  return error;
}

const designation = (repo: HubRepo): RepoDesignation => ({ type: repo.type, name: repo.name });

/** @huggingface/hub with one retrying fetch under every request; the token goes only into Authorization headers. */
export function hubClient(options: HubClientOptions): HubClient {
  const common = {
    hubUrl: options.endpoint,
    accessToken: options.token,
    fetch: retryingFetch(
      new RetryPolicy({ ...options, clock: options.clock ?? systemClock(options.secondMs) }),
      options.bounds,
    ),
  };
  return {
    endpoint: options.endpoint,

    async mayWrite(repo) {
      const { auth } = await whoAmI(common);
      return tokenMayWrite(auth.accessToken as HubAccessToken | undefined, repo);
    },

    async repoExists(repo) {
      try {
        await checkRepoAccess({ ...common, repo: designation(repo) });
        return true;
      } catch (error) {
        if (statusOf(error) === 404) return false;
        throw error;
      }
    },

    async createRepo(repo) {
      try {
        await createRepo({ ...common, repo: designation(repo) });
        return true;
      } catch (error) {
        if (statusOf(error) !== 409) throw error;
        return false;
      }
    },

    async head(repo, branch) {
      try {
        const info =
          repo.type === 'dataset'
            ? await datasetInfo({ ...common, name: repo.name, revision: branch, additionalFields: ['sha'] })
            : await modelInfo({ ...common, name: repo.name, revision: branch, additionalFields: ['sha'] });
        return (info as { sha?: string }).sha;
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    },

    async createBranch(repo, branch) {
      try {
        await createBranch({ ...common, repo: designation(repo), branch });
        return true;
      } catch (error) {
        if (statusOf(error) !== 409) throw error;
        return false;
      }
    },

    async files(repo, commitOid, folder) {
      const found: HubFile[] = [];
      try {
        for await (const entry of listFiles({
          ...common,
          repo: designation(repo),
          revision: commitOid,
          path: folder || undefined,
          recursive: true,
        })) {
          if (entry.type !== 'file') continue;
          found.push({ path: entry.path, size: entry.size, sha256: entry.lfs?.oid, gitOid: entry.oid });
        }
      } catch (error) {
        if (statusOf(error) === 404) return []; // no such folder yet
        throw error;
      }
      return found;
    },

    async text(repo, commitOid, path) {
      const blob = await downloadFile({ ...common, repo: designation(repo), path, revision: commitOid, xet: false });
      return blob ? blob.text() : undefined;
    },

    async commit(repo, change) {
      const operations = await Promise.all(
        change.uploads.map(async (upload) => ({
          operation: 'addOrUpdate' as const,
          path: upload.path,
          content: 'file' in upload ? await openAsBlob(upload.file) : new Blob([upload.text]),
        })),
      );
      try {
        const output = await commit({
          ...common,
          repo: designation(repo),
          branch: change.branch,
          parentCommit: change.parent,
          title: change.title,
          operations,
          // Plain LFS transfers (PUT of each file): what every Hub, mirror and proxy speaks. The Hub
          // answers `transfer: basic` where it prefers it anyway; Xet would bring its WebAssembly chunker.
          useXet: false,
        });
        return { oid: output!.commit.oid, url: output!.commit.url };
      } catch (error) {
        if (statusOf(error) === 412) return 'stale';
        throw error;
      }
    },
  };
}
