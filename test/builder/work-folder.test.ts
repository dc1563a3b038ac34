import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inWorkFolder, SHARED_WORK_FOLDER } from '../../src/builder/work-folder';
import { withLock } from '../../src/core/lock';
import { recordingContext } from '../helpers/context';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'sagewheels-work-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A temp folder of its own for each case. */
const temp = async (name: string) => {
  const dir = path.join(root, name);
  await mkdir(dir);
  return dir;
};

/** The work folder `build` got, and what it saw there; the folder is checked to be gone afterwards. */
async function workIn(dir: string, shared: boolean) {
  const ctx = recordingContext();
  const work = await inWorkFolder(dir, shared, ctx.log, async (folder) => {
    await writeFile(path.join(folder, 'object.o'), 'built');
    return folder;
  });
  expect(existsSync(work)).toBe(false);
  return { work, text: ctx.text() };
}

describe('inWorkFolder', () => {
  it('gives every reproducible build the same folder, one after another, and removes it after', async () => {
    const dir = await temp('same');
    const first = await workIn(dir, true);
    const second = await workIn(dir, true);
    expect(first.work).toBe(path.join(dir, SHARED_WORK_FOLDER));
    expect(second.work).toBe(first.work);
    expect(first.text).toBe('');
    expect(await readdir(dir)).toEqual([]);
  });

  it('gives a build that is not reproducible a fresh folder each time', async () => {
    const dir = await temp('fresh');
    const [a, b] = [await workIn(dir, false), await workIn(dir, false)];
    expect(path.basename(a.work)).toMatch(/^sagewheels-build-\w{6}$/);
    expect(a.work).not.toBe(b.work);
  });

  it('sends a build to a folder of its own, with a warning, while another holds the shared one', async () => {
    const dir = await temp('held');
    const shared = path.join(dir, SHARED_WORK_FOLDER);
    const inner = await withLock(shared, async () => {
      await writeFile(path.join(shared, 'theirs.o'), 'the other build');
      return workIn(dir, true);
    });
    expect(path.basename(inner.work)).toMatch(/^sagewheels-build-\w{6}$/);
    expect(inner.text).toContain(
      `warning: another build is working in ${shared}: this one works in a folder of its own, so its extension modules are not byte-identical`,
    );
    expect(await readdir(dir)).toEqual([]);
  });

  it('runs builds started together each in a folder, one of them the shared one', async () => {
    const dir = await temp('together');
    const ctx = recordingContext();
    const folders = await Promise.all(
      [1, 2, 3].map(() =>
        inWorkFolder(dir, true, ctx.log, async (folder) => {
          await new Promise((resolve) => setTimeout(resolve, 100));
          return folder;
        }),
      ),
    );
    expect(new Set(folders).size).toBe(3);
    expect(folders.filter((f) => f === path.join(dir, SHARED_WORK_FOLDER))).toHaveLength(1);
    expect(await readdir(dir)).toEqual([]);
  });

  it('takes over the folder of a build that was killed, and leaves alone one it did not make', async () => {
    const dir = await temp('stale');
    const shared = path.join(dir, SHARED_WORK_FOLDER);
    const dead = spawnSync('true').pid!;
    await mkdir(shared);
    await writeFile(path.join(shared, 'owner.json'), JSON.stringify({ pid: dead, host: os.hostname() }));
    await writeFile(path.join(shared, 'half-built.o'), 'left by a killed build');
    const taken = await workIn(dir, true);
    expect(taken.work).toBe(shared);
    expect(taken.text).toContain(`process ${dead} on this host, no longer runs`);

    // A folder of that name with no owner file, however old, is the user's: kept as it is.
    await mkdir(shared);
    await writeFile(path.join(shared, 'notes.txt'), 'mine');
    const old = new Date(Date.now() - 3_600_000);
    await utimes(shared, old, old);
    const elsewhere = await workIn(dir, true);
    expect(elsewhere.work).not.toBe(shared);
    expect(await readFile(path.join(shared, 'notes.txt'), 'utf8')).toBe('mine');
  });
});
