import { randomUUID } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { lstat, mkdir, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { inputError } from '../core/errors';
import { withLock, type LockOptions } from '../core/lock';
import { undoOnSignal } from '../core/on-signal';

/**
 * A folder that holds one finished toolkit or nothing: the tool cache's <tool>/<version>/<arch>
 * or a chosen install-dir. It counts as present only with the tool cache's `<dir>.complete`
 * marker beside it, so @actions/tool-cache's find() sees exactly what this module saved.
 */
export const isComplete = (dir: string): boolean => existsSync(dir) && existsSync(`${dir}.complete`);

/** Where a toolkit goes: install-dir when given, else <tool cache>/<tool>/<version>/<arch>. */
export function toolkitDir(
  installDir: string | undefined,
  toolCache: string | undefined,
  key: { tool: string; version: string; arch: string },
): string {
  if (installDir) return path.resolve(installDir);
  if (!toolCache)
    throw inputError(
      'install-dir',
      'is empty and RUNNER_TOOL_CACHE is not set',
      'Give install-dir, or run on an Actions runner',
    );
  return path.join(toolCache, key.tool, key.version, key.arch);
}

/**
 * Fills `dir` once, even when several jobs on one host ask at the same time: under a lock, the
 * first builds the toolkit in a staging folder beside `dir` (`install` gets that folder and must
 * leave the toolkit in its `toolkit/` subfolder), then renames it into place and writes the
 * marker; the others wait, find it complete, and reuse it. Any failure removes the staging
 * folder, so nothing half-made is ever found.
 */
export async function fillOnce(
  dir: string,
  install: (staging: string) => Promise<void>,
  options: FillOptions = {},
): Promise<'found' | 'installed'> {
  if (isComplete(dir)) return 'found';
  return withLock(
    `${dir}.lock`,
    async () => {
      if (isComplete(dir)) return 'found';
      if (options.userDir) await checkInstallDir(dir);
      else await removeLeftovers(dir);
      const staging = `${dir}.staging-${randomUUID().slice(0, 8)}`;
      let placed = false;
      const forget = undoOnSignal(() => {
        rmSync(staging, { recursive: true, force: true });
        // Placed but not yet marked: ours, and half-made for anyone who finds it.
        if (placed && !existsSync(`${dir}.complete`)) rmSync(dir, { recursive: true, force: true });
      });
      try {
        await mkdir(staging, { recursive: true });
        await install(staging);
        // install-dir may be an empty folder the user made: only an empty one is replaced.
        if (options.userDir) await rmdir(dir).catch(() => undefined);
        await rename(path.join(staging, 'toolkit'), dir);
        placed = true;
        await writeFile(`${dir}.complete`, '');
      } catch (error) {
        if (placed) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
        throw error;
      } finally {
        await rm(staging, { recursive: true, force: true });
        forget();
      }
      return 'installed';
    },
    options.lock,
  );
}

export interface FillOptions {
  lock?: LockOptions;
  /** The folder was chosen by the user (install-dir): what is already in it is never deleted. */
  userDir?: boolean;
}

/**
 * install-dir must be new, an empty folder, or a toolkit sagewheels finished there: anything else
 * belongs to the user and is never deleted or overwritten. Checked before any request.
 */
export async function checkInstallDir(dir: string): Promise<void> {
  if (isComplete(dir)) return;
  const info = await lstat(dir).catch(() => undefined);
  if (!info) return;
  const allowed = 'Choose a new or empty folder: sagewheels never deletes or overwrites what it did not create';
  if (!info.isDirectory()) {
    throw inputError(
      'install-dir',
      `${dir} is ${info.isSymbolicLink() ? 'a symlink' : 'a file'}, not a folder`,
      allowed,
    );
  }
  if ((await readdir(dir)).length > 0) {
    throw inputError('install-dir', `${dir} already holds files, and no toolkit that sagewheels finished`, allowed);
  }
}

/** What a killed job left in the tool cache: an unmarked folder and its staging folders (the lock says none is running). */
async function removeLeftovers(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  const parent = path.dirname(dir);
  const prefix = `${path.basename(dir)}.staging-`;
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    if (name.startsWith(prefix)) await rm(path.join(parent, name), { recursive: true, force: true });
  }
}
