import { inputError } from '../core/errors';
import { compareVersions } from '../core/version';

/** A requested CUDA version: `12.8` (newest 12.8.x) or `12.8.1` (exactly that). */
export interface VersionRequest {
  given: string;
  major: number;
  minor: number;
  /** Set when the request names one release. */
  exact?: string;
}

export function parseVersionRequest(given: string): VersionRequest {
  const match = /^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(given.trim());
  if (!match) {
    throw inputError(
      'cuda-version',
      `"${given}" is not a CUDA version`,
      'Allowed: major.minor (12.8, the newest 12.8.x) or major.minor.patch (12.8.1)',
    );
  }
  const [, major, minor, patch] = match;
  return {
    given,
    major: Number(major),
    minor: Number(minor),
    exact: patch === undefined ? undefined : `${Number(major)}.${Number(minor)}.${Number(patch)}`,
  };
}

export const majorMinorOf = (request: VersionRequest): string => `${request.major}.${request.minor}`;

/** Versions of the redistrib_<x.y.z>.json manifests named in the tree's HTML index, oldest first. */
export function listedVersions(indexHtml: string): string[] {
  const found = new Set<string>();
  for (const match of indexHtml.matchAll(/redistrib_(\d+\.\d+\.\d+)\.json/g)) found.add(match[1]!);
  return [...found].sort(compareVersions);
}

/** The release a request means among those the tree lists; one clear error when there is none. */
export function resolveVersion(request: VersionRequest, available: readonly string[], treeUrl: string): string {
  const prefix = `${majorMinorOf(request)}.`;
  const matching = request.exact
    ? available.filter((v) => v === request.exact)
    : available.filter((v) => v.startsWith(prefix));
  const chosen = matching.at(-1);
  if (chosen) return chosen;
  throw inputError(
    'cuda-version',
    `${request.given} is not in the redist tree ${treeUrl}`,
    available.length > 0
      ? `Versions there: ${available.join(', ')}`
      : 'The tree lists no redistrib_<version>.json at all',
  );
}
