import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { gitHubClient, type GitHubClient, type Repo, type Usage } from './client';
import { explainAccess, httpStatus } from './errors';
import { RetryPolicy, systemClock, type PolicyOptions } from '../http/policy';
import { gitHubCall } from './retry';

/** The fields of GitHub's release object that sagewheels reads. */
export interface Release {
  id: number;
  tag_name: string;
  draft: boolean;
  prerelease: boolean;
  /** Published on a repository with immutable releases: its assets and tag can never change. */
  immutable?: boolean;
  html_url: string;
  upload_url: string;
  target_commitish?: string;
  body?: string | null;
  /** Every asset; the release object lists them all, unpaginated. */
  assets: Asset[];
}

export interface Asset {
  id: number;
  name: string;
  size: number;
  /** `starter` is an upload that has not finished (or failed midway). */
  state: string;
  /** "sha256:<hex>", computed by GitHub (github.com since 2025; older GitHub Enterprise Server lacks it). */
  digest?: string | null;
  browser_download_url: string;
}

export interface NewRelease {
  tag: string;
  draft: boolean;
  prerelease: boolean;
  /** The commit a new tag points at (the workflow's GITHUB_SHA). */
  target?: string;
}

export interface Upload {
  name: string;
  contentType: string;
  size: number;
  /** Hex; tells a finished upload whose answer was lost from a broken one. */
  sha256: string;
  /** A fresh body for each attempt. */
  body: () => Readable | Buffer;
  /** Abandons the upload (a cancelled publish): the request is aborted and not tried again. */
  signal?: AbortSignal;
}

/** A small text asset (a listing or a sidecar). */
export function textUpload(name: string, contentType: string, text: string): Upload {
  const data = Buffer.from(text);
  return { name, contentType, size: data.length, sha256: sha256Hex(data), body: () => data };
}

export const sha256Hex = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

/** An asset's sha256 as GitHub computed it, or undefined where GitHub gives none. */
export const assetSha256 = (asset: Pick<Asset, 'digest'>): string | undefined =>
  asset.digest?.startsWith('sha256:') ? asset.digest.slice('sha256:'.length) : undefined;

/** The upload endpoint of a release, from its upload_url (right on GitHub Enterprise Server too). */
export function uploadUrl(release: Pick<Release, 'upload_url'>, name: string): string {
  // encodeURIComponent turns "+" into %2B; sent bare, GitHub reads it as a space and stores ".".
  return `${release.upload_url.replace(/\{[^}]*\}$/, '')}?name=${encodeURIComponent(name)}`;
}

/**
 * The one way sagewheels reaches GitHub releases (publish, and matrix's skip-published). Every
 * call goes through one retry policy, and a 401, 403 or 404 that is not an expected answer
 * becomes an error naming the token.
 */
export interface Releaser {
  /** "owner/name" of the repository the releases are in. */
  readonly repository: string;
  /** Requests sent so far, and the budget GitHub last reported. */
  readonly usage: Usage;
  /** The release of a tag, drafts included: the published one, else the oldest draft. */
  find(tag: string): Promise<Release | undefined>;
  /** Every release with the tag among the newest 100, oldest first, drafts included. */
  tagged(tag: string): Promise<Release[]>;
  /** The release as it is now, or undefined when it was deleted. */
  get(release: Pick<Release, 'id'>): Promise<Release | undefined>;
  create(spec: NewRelease): Promise<Release>;
  update(release: Pick<Release, 'id'>, fields: { body?: string; draft?: boolean }): Promise<Release>;
  /** Deletes a draft; a release that is published (now) is never deleted. */
  deleteDraft(release: Pick<Release, 'id'>): Promise<boolean>;
  /** Uploads under the exact name; a failed attempt's leftover is removed before the next. */
  upload(release: Release, item: Upload): Promise<Asset>;
  /** Deletes an asset; one already gone counts as deleted. */
  deleteAsset(asset: Pick<Asset, 'id' | 'name'>): Promise<void>;
  /** The asset's bytes, or undefined when it was deleted meanwhile. */
  download(asset: Pick<Asset, 'id' | 'name'>): Promise<Buffer | undefined>;
}

export interface ReleaserOptions extends PolicyOptions {
  /** Milliseconds per second of waiting (tests shrink it), when no clock is given; default 1000. */
  secondMs?: number;
  token: string;
  apiUrl: string;
  repo: Repo;
  /** The token is used to write (publish) or only to read (skip-published): says which permission to ask for. */
  write: boolean;
}

export class GitHubReleaser implements Releaser {
  readonly repository: string;
  readonly usage: Usage;
  private readonly octokit: GitHubClient;
  private readonly policy: RetryPolicy;
  private readonly repo: Repo;

  constructor(private readonly options: ReleaserOptions) {
    this.policy = new RetryPolicy({
      maxWaitName: 'rate-limit-wait',
      ...options,
      clock: options.clock ?? systemClock(options.secondMs),
    });
    ({ octokit: this.octokit, usage: this.usage } = gitHubClient({ ...options, signal: this.policy.cancel }));
    this.repo = options.repo;
    this.repository = `${options.repo.owner}/${options.repo.repo}`;
  }

  private async call<T>(what: string, operation: (attempt: number) => Promise<T>): Promise<T> {
    try {
      return await gitHubCall(this.policy, what, operation);
    } catch (error) {
      throw explainAccess(error, {
        repo: `${this.repo.owner}/${this.repo.repo}`,
        apiUrl: this.options.apiUrl,
        write: this.options.write,
      });
    }
  }

  /** `operation`, with a 404 answered as undefined. */
  private async unless404<T>(what: string, operation: () => Promise<T>): Promise<T | undefined> {
    return this.call(what, () =>
      operation().catch((error: unknown) => {
        if (httpStatus(error) === 404) return undefined;
        throw error;
      }),
    );
  }

  async find(tag: string): Promise<Release | undefined> {
    // One page of the newest releases finds a new tag's drafts and published release alike.
    const { data, headers } = await this.call(`list the releases`, () =>
      this.octokit.rest.repos.listReleases({ ...this.repo, per_page: 100 }),
    );
    const onPage = pick((data as unknown as Release[]).filter((r) => r.tag_name === tag));
    if (onPage || !/rel="next"/.test(headers.link ?? '')) return onPage;
    const published = await this.unless404(`find the release of ${tag}`, async () =>
      asRelease((await this.octokit.rest.repos.getReleaseByTag({ ...this.repo, tag })).data),
    );
    if (published) return published;
    const all = await this.call(`list the releases`, () =>
      this.octokit.paginate(this.octokit.rest.repos.listReleases, { ...this.repo, per_page: 100 }),
    );
    return pick((all as unknown as Release[]).filter((r) => r.tag_name === tag));
  }

  async tagged(tag: string): Promise<Release[]> {
    const { data } = await this.call(`list the releases`, () =>
      this.octokit.rest.repos.listReleases({ ...this.repo, per_page: 100 }),
    );
    return (data as unknown as Release[]).filter((r) => r.tag_name === tag).sort((a, b) => a.id - b.id);
  }

  get(release: Pick<Release, 'id'>): Promise<Release | undefined> {
    return this.unless404(`read release ${release.id}`, async () =>
      asRelease((await this.octokit.rest.repos.getRelease({ ...this.repo, release_id: release.id })).data),
    );
  }

  create(spec: NewRelease): Promise<Release> {
    return this.call(`create release ${spec.tag}`, async () =>
      asRelease(
        (
          await this.octokit.rest.repos.createRelease({
            ...this.repo,
            tag_name: spec.tag,
            name: spec.tag,
            draft: spec.draft,
            prerelease: spec.prerelease,
            ...(spec.target ? { target_commitish: spec.target } : {}),
          })
        ).data,
      ),
    );
  }

  update(release: Pick<Release, 'id'>, fields: { body?: string; draft?: boolean }): Promise<Release> {
    return this.call(`update release ${release.id}`, async () =>
      asRelease(
        (await this.octokit.rest.repos.updateRelease({ ...this.repo, release_id: release.id, ...fields })).data,
      ),
    );
  }

  async deleteDraft(release: Pick<Release, 'id'>): Promise<boolean> {
    const now = await this.get(release);
    if (!now) return true;
    if (!now.draft) return false;
    await this.unless404(`delete draft release ${release.id}`, () =>
      this.octokit.rest.repos.deleteRelease({ ...this.repo, release_id: release.id }),
    );
    return true;
  }

  upload(release: Release, item: Upload): Promise<Asset> {
    return this.call(`upload ${item.name}`, async (attempt) => {
      if (attempt > 0) {
        // What the failed attempt left: a finished upload whose answer was lost, or a `starter`.
        const left = (await this.get(release))?.assets.find((a) => a.name === item.name);
        if (left && left.state === 'uploaded' && matches(left, item)) return left;
        if (left) await this.deleteAsset(left);
      }
      const response = await this.octokit.request({
        method: 'POST',
        url: uploadUrl(release, item.name),
        data: item.body(),
        headers: { 'content-type': item.contentType, 'content-length': item.size },
        request: { signal: item.signal },
      });
      return response.data as Asset;
    });
  }

  async deleteAsset(asset: Pick<Asset, 'id' | 'name'>): Promise<void> {
    await this.unless404(`delete ${asset.name}`, () =>
      this.octokit.rest.repos.deleteReleaseAsset({ ...this.repo, asset_id: asset.id }),
    );
  }

  download(asset: Pick<Asset, 'id' | 'name'>): Promise<Buffer | undefined> {
    return this.unless404(`download ${asset.name}`, async () => {
      // GitHub answers with a redirect to its object store, another origin: fetch follows it
      // without the Authorization header, which the store would refuse.
      const response = await this.octokit.request('GET /repos/{owner}/{repo}/releases/assets/{asset_id}', {
        ...this.repo,
        asset_id: asset.id,
        headers: { accept: 'application/octet-stream' },
      });
      const data = response.data as unknown;
      return typeof data === 'string' ? Buffer.from(data) : Buffer.from(data as ArrayBuffer);
    });
  }
}

/** The published release among several with one tag, else the oldest draft. */
function pick(releases: Release[]): Release | undefined {
  return releases.find((r) => !r.draft) ?? [...releases].sort((a, b) => a.id - b.id)[0];
}

const asRelease = (data: unknown): Release => {
  const release = data as Release;
  return { ...release, assets: release.assets ?? [] };
};

const matches = (asset: Asset, item: Upload): boolean =>
  asset.size === item.size && (!asset.digest || asset.digest === `sha256:${item.sha256}`);
