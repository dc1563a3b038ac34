import path from 'node:path';
import { inputError } from '../core/errors';
import type { Log } from '../core/context';
import { DownloadError, downloadText } from './download';
import { parseManifest, type Manifest } from './manifest';
import { NVIDIA_REDIST } from './request';
import { listedVersions, resolveVersion, type VersionRequest } from './versions';

/** The redist tree's base URL, ending in a slash; anything but http(s) is refused. */
export function checkMirror(given: string): string {
  let url: URL | undefined;
  try {
    url = new URL(given);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw inputError(
      'mirror-url',
      `"${given}" is not an http(s) URL`,
      `Allowed: the base URL of a CUDA redist tree, like ${NVIDIA_REDIST}`,
    );
  }
  if (url.username || url.password) {
    throw inputError(
      'mirror-url',
      `"${url.protocol}//${url.host}${url.pathname}" carries a user name or password, which every log line naming a download would print`,
      "Allowed: a URL without credentials (a mirror on the runner's network, or a proxy that adds them)",
    );
  }
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}

/** 12.8 -> the newest 12.8.x in the tree's index; 12.8.1 -> itself (checked when its manifest is fetched). */
export async function resolveRelease(
  version: VersionRequest,
  mirror: string,
  temp: string,
  log?: Pick<Log, 'warning'>,
): Promise<string> {
  return version.exact ?? resolveVersion(version, await treeVersions(mirror, temp, log), mirror);
}

async function treeVersions(mirror: string, temp: string, log?: Pick<Log, 'warning'>): Promise<string[]> {
  return listedVersions(await downloadText(mirror, path.join(temp, `index-${Date.now()}.html`), log));
}

export async function fetchManifest(
  version: VersionRequest,
  release: string,
  mirror: string,
  temp: string,
  log?: Pick<Log, 'warning'>,
): Promise<Manifest> {
  const url = new URL(`redistrib_${release}.json`, mirror).href;
  try {
    return parseManifest(await downloadText(url, path.join(temp, `redistrib_${release}.json`), log), url);
  } catch (error) {
    // An exact version the tree lacks: the error lists what it has.
    if (error instanceof DownloadError && error.status === 404)
      resolveVersion(version, await treeVersions(mirror, temp, log), mirror);
    throw error;
  }
}
