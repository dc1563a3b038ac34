import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Log } from '../core/context';
import { withLock } from '../core/lock';

/** The folder every reproducible build works in, under the runner's temp folder. */
export const SHARED_WORK_FOLDER = 'sagewheels-build';

/**
 * Runs `build` in a work folder of its own, removed afterwards.
 *
 * nvcc names a file's internal symbols (a kernel in an anonymous namespace, a static device
 * variable) after a hash of the file's real path, and writes those names into the host code and
 * the GPU code: two builds give the same bytes only from the same path. So a reproducible build
 * works in <temp>/sagewheels-build, the same path on every runner whose RUNNER_TEMP (or, outside
 * Actions, TMPDIR) is. Another build holding that folder at the same time sends this one to a
 * folder of its own, with a warning; a holder that died is taken over.
 */
export async function inWorkFolder<T>(
  temp: string,
  shared: boolean,
  log: Log,
  build: (work: string) => Promise<T>,
): Promise<T> {
  const ownFolder = async () => {
    const work = await mkdtemp(path.join(temp, `${SHARED_WORK_FOLDER}-`));
    try {
      return await build(work);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  };
  if (!shared) return ownFolder();
  const folder = path.join(temp, SHARED_WORK_FOLDER);
  return withLock(folder, () => build(folder), {
    onWait: (message) => log.info(message),
    ifHeld: () => {
      log.warning(
        `another build is working in ${folder}: this one works in a folder of its own, so its extension modules are not byte-identical to a build in ${folder} (nvcc names internal symbols after the source's path)`,
      );
      return ownFolder();
    },
  });
}
