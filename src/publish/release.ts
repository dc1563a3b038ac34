import type { Log } from '../core/context';
import { inputError } from '../core/errors';
import type { GitHubClient, Repo } from '../github/client';
import { httpStatus, isAlreadyExists } from './transfer';

/** The fields of GitHub's release and release-asset objects that publishing reads. */
export interface Release {
  id: number;
  tag_name: string;
  draft: boolean;
  prerelease: boolean;
  html_url: string;
  upload_url: string;
  body?: string | null;
  assets?: unknown[];
}

export interface Asset {
  id: number;
  name: string;
  size: number;
  state: string;
  /** "sha256:<hex>", computed by GitHub (github.com since 2025; older GitHub Enterprise Server lacks it). */
  digest?: string | null;
  browser_download_url: string;
}

export interface ReleaseSpec {
  tag: string;
  draft: boolean;
  prerelease: boolean;
  /** The commit a new tag points at (the workflow's GITHUB_SHA). */
  target?: string;
}

/** Every release with this tag, oldest first; drafts are only found this way. */
async function tagged(api: GitHubClient, repo: Repo, tag: string): Promise<Release[]> {
  const releases = (await api.paginate(api.rest.repos.listReleases, { ...repo, per_page: 100 })) as Release[];
  return releases.filter((r) => r.tag_name === tag).sort((a, b) => a.id - b.id);
}

/** The release of a tag: the published one, else the oldest draft with it. */
export async function findRelease(api: GitHubClient, repo: Repo, tag: string): Promise<Release | undefined> {
  try {
    return (await api.rest.repos.getReleaseByTag({ ...repo, tag })).data as Release;
  } catch (error) {
    if (httpStatus(error) !== 404) throw error;
  }
  return (await tagged(api, repo, tag))[0];
}

/**
 * Gets the release of the tag or creates it, leaving exactly one. Matrix jobs race here: for a
 * published release GitHub refuses the second with 422 already_exists, and the loser takes the
 * winner's. Drafts may share a tag, so each job that created a draft keeps the oldest release
 * with the tag and deletes the empty newer ones (its own included).
 */
export async function ensureRelease(
  api: GitHubClient,
  repo: Repo,
  spec: ReleaseSpec,
  log: Log,
): Promise<{ release: Release; created: boolean }> {
  const found = await findRelease(api, repo, spec.tag);
  if (found) return { release: found, created: false };
  let created: Release;
  try {
    created = (
      await api.rest.repos.createRelease({
        ...repo,
        tag_name: spec.tag,
        name: spec.tag,
        draft: spec.draft,
        prerelease: spec.prerelease,
        ...(spec.target ? { target_commitish: spec.target } : {}),
      })
    ).data as Release;
  } catch (error) {
    if (isAlreadyExists(error)) {
      log.info(`release ${spec.tag} was created by another job meanwhile; using it`);
      return {
        release: (await api.rest.repos.getReleaseByTag({ ...repo, tag: spec.tag })).data as Release,
        created: false,
      };
    }
    if (httpStatus(error) === 422)
      throw inputError(
        'tag',
        `GitHub refused to create a release for "${spec.tag}" (${(error as Error).message})`,
        'Give a valid tag name',
      );
    throw error;
  }
  if (!created.draft) return { release: created, created: true };

  const [keep, ...others] = await tagged(api, repo, spec.tag);
  for (const other of others) {
    if (!other.draft || (other.assets?.length ?? 0) > 0) continue;
    await api.rest.repos.deleteRelease({ ...repo, release_id: other.id }).catch((error: unknown) => {
      if (httpStatus(error) !== 404) throw error;
    });
  }
  if (!keep || keep.id !== created.id) log.info(`another job created a draft of ${spec.tag} first; using it`);
  return { release: keep ?? created, created: keep === undefined || keep.id === created.id };
}
