import { errorMessage, inputError } from '../core/errors';
import type { GitHubClient, Repo } from '../github/client';
import { localLabel, parseWheelName, type WheelName } from '../wheel/name';
import { wheelFits } from '../wheel/tags';
import type { MatrixEntry, Plan } from './plan';

/**
 * Names of the wheels fully uploaded to the release, or undefined when no published release has
 * the tag (GitHub does not find drafts by tag). A `starter` asset is an upload that failed midway.
 */
export async function releaseWheels(client: GitHubClient, repo: Repo, tag: string): Promise<string[] | undefined> {
  try {
    const release = await client.rest.repos.getReleaseByTag({ ...repo, tag });
    const assets = await client.paginate(client.rest.repos.listReleaseAssets, {
      ...repo,
      release_id: release.data.id,
      per_page: 100,
    });
    return assets
      .filter((asset) => asset.state === 'uploaded' && asset.name.endsWith('.whl'))
      .map((asset) => asset.name);
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status === 404) return undefined;
    if (status === 401)
      throw inputError(
        'token',
        `GitHub refused it (401 ${errorMessage(error)})`,
        'Give a token that can read the releases of this repository',
      );
    throw new Error(`reading release ${tag} of ${repo.owner}/${repo.repo} failed: ${errorMessage(error)}`, {
      cause: error,
    });
  }
}

const parsed = (name: string): WheelName | undefined => {
  try {
    return parseWheelName(name);
  } catch {
    return undefined;
  }
};

/** Whether this wheel is the one the entry builds: same local version label, and it installs on the entry's Python and platform. */
function wheelOfEntry(wheel: WheelName, entry: MatrixEntry): boolean {
  const label = entry['version-suffix'].replace(/^\+/, '').toLowerCase();
  return (localLabel(wheel.version) ?? '').toLowerCase() === label && wheelFits(wheel, entry.python, entry.platform);
}

/** The plan less the entries whose wheel is already among `wheelNames`, so a rerun builds only what is missing. */
export function skipPublished(plan: Plan, wheelNames: readonly string[]): Plan {
  const wheels = wheelNames.map(parsed).filter((wheel): wheel is WheelName => wheel !== undefined);
  const done = (entry: MatrixEntry) => wheels.some((wheel) => wheelOfEntry(wheel, entry));
  return {
    ...plan,
    entries: plan.entries.filter((e) => !done(e)),
    published: [...plan.published, ...plan.entries.filter(done)],
  };
}
