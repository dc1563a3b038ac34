import { lstat, mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Log } from '../core/context';
import { withLock } from '../core/lock';

/** The prefix of the folders a build works in when it cannot (or need not) have the canonical one. */
const OWN_FOLDER_PREFIX = 'sagewheels-build-';

/**
 * The folder every reproducible build works in: one path on every machine of an OS, whatever
 * RUNNER_TEMP, TMPDIR, the user or the runner's install folder. /tmp exists and is writable on
 * every Linux and macOS; on Windows %TEMP% holds the user's name (C:\Users\<name>\AppData\Local\Temp),
 * while C:\ is the system drive of every hosted and nearly every self-hosted runner, any user may
 * make a folder there, and a short path keeps the venv's deepest torch headers under MAX_PATH.
 * The one definition of the path: the container seam mounts the same folder into its containers.
 */
export function canonicalBuildFolder(platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32' ? 'C:\\sagewheels\\build' : '/tmp/sagewheels/build';
}

/** SAGEWHEELS_BUILD_FOLDER when set (a wheel built there matches only builds made there), else the canonical folder. */
export function reproducibleBuildFolder(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string {
  const chosen = env.SAGEWHEELS_BUILD_FOLDER;
  if (!chosen) return canonicalBuildFolder(platform);
  return platform === 'win32' ? path.win32.resolve(chosen) : path.resolve(chosen);
}

/**
 * Why the canonical folder's parent (/tmp/sagewheels) must not be used, or undefined: in a folder
 * every user may write to, another user's folder or link there would put this build in their hands.
 */
export async function untrustedParent(parent: string): Promise<string | undefined> {
  try {
    await mkdir(parent, { recursive: true });
    const stat = await lstat(parent);
    if (stat.isSymbolicLink()) return `${parent} is a symbolic link`;
    if (process.getuid && stat.uid !== process.getuid()) return `${parent} belongs to another user (uid ${stat.uid})`;
    return undefined;
  } catch (error) {
    return `${parent} cannot be made (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
}

/**
 * Runs `build` in a work folder, removed afterwards: `shared`, the reproducible build folder, or
 * with none (a build that is not reproducible) a fresh folder in `temp`.
 *
 * nvcc names a file's internal symbols (a kernel in an anonymous namespace, a static device
 * variable) after a hash of the file's real path, and writes those names into the host code and
 * the GPU code: two builds give the same bytes only from the same path. So every reproducible
 * build works in one folder, the same on every machine (canonicalBuildFolder). Another build
 * holding that folder at the same time sends this one to a folder of its own, with a warning; a
 * holder that died is taken over; a folder there without sagewheels' owner file is left alone.
 */
export async function inWorkFolder<T>(
  shared: string | undefined,
  temp: string,
  log: Log,
  build: (work: string) => Promise<T>,
): Promise<T> {
  const ownFolder = async () => {
    const work = await mkdtemp(path.join(temp, OWN_FOLDER_PREFIX));
    try {
      return await build(work);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  };
  if (!shared) return ownFolder();
  const elsewhere = (why: string) => {
    log.warning(
      `${why}: this build works in a folder of its own, so its wheel is not the canonical bytes, those of a build in ${shared} (nvcc names internal symbols after the source's path)`,
    );
    return ownFolder();
  };
  const canonical = [canonicalBuildFolder('win32'), canonicalBuildFolder('linux')].includes(shared);
  const unsafe = canonical ? await untrustedParent(path.dirname(shared)) : undefined;
  if (unsafe) return elsewhere(unsafe);
  return withLock(shared, () => build(shared), {
    onWait: (message) => log.info(message),
    ifHeld: () => elsewhere(`another build is working in ${shared}`),
  });
}
