import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdir, mkdtemp, readdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  canonicalBuildFolder,
  inWorkFolder,
  reproducibleBuildFolder,
  untrustedParent,
} from '../../src/builder/work-folder';
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

const SHARED = 'build';

/** The work folder `build` got (shared: `<dir>/build`), and what it saw there; the folder is checked to be gone afterwards. */
async function workIn(dir: string, shared: boolean) {
  const ctx = recordingContext();
  const work = await inWorkFolder(shared ? path.join(dir, SHARED) : undefined, dir, ctx.log, async (folder) => {
    await writeFile(path.join(folder, 'object.o'), 'built');
    return folder;
  });
  expect(existsSync(work)).toBe(false);
  return { work, text: ctx.text() };
}

describe('the reproducible build folder', () => {
  it('is one path per OS, whatever RUNNER_TEMP, TMPDIR or the user; SAGEWHEELS_BUILD_FOLDER moves it', () => {
    expect(canonicalBuildFolder('linux')).toBe('/tmp/sagewheels/build');
    expect(canonicalBuildFolder('darwin')).toBe('/tmp/sagewheels/build');
    expect(canonicalBuildFolder('win32')).toBe('C:\\sagewheels\\build');
    const runners = [
      { RUNNER_TEMP: '/home/a/actions-runner/_work/_temp', TMPDIR: '/var/tmp', HOME: '/home/a' },
      { RUNNER_TEMP: '/opt/runner2/_work/_temp', TMPDIR: '/scratch', USER: 'b' },
      {},
    ];
    for (const env of runners) {
      expect(reproducibleBuildFolder(env, 'linux')).toBe('/tmp/sagewheels/build');
      expect(reproducibleBuildFolder({ ...env, TEMP: 'C:\\Users\\runner\\AppData\\Local\\Temp' }, 'win32')).toBe(
        'C:\\sagewheels\\build',
      );
    }
    expect(reproducibleBuildFolder({ SAGEWHEELS_BUILD_FOLDER: '/srv/build' }, 'linux')).toBe('/srv/build');
  });

  it('refuses a parent that is a link, and makes a missing one', async () => {
    const dir = await temp('parents');
    expect(await untrustedParent(path.join(dir, 'made'))).toBeUndefined();
    expect(existsSync(path.join(dir, 'made'))).toBe(true);
    await symlink(path.join(dir, 'made'), path.join(dir, 'link'));
    expect(await untrustedParent(path.join(dir, 'link'))).toBe(`${path.join(dir, 'link')} is a symbolic link`);
  });

  // Only root can give a folder away.
  it.runIf(process.getuid?.() === 0)("refuses a parent that is another user's", async () => {
    const theirs = path.join(await temp('theirs'), 'sagewheels');
    await mkdir(theirs);
    await chown(theirs, 1000, 1000);
    expect(await untrustedParent(theirs)).toBe(`${theirs} belongs to another user (uid 1000)`);
  });
});

describe('inWorkFolder', () => {
  it('gives every reproducible build the same folder, one after another, and removes it after', async () => {
    const dir = await temp('same');
    const first = await workIn(dir, true);
    const second = await workIn(dir, true);
    expect(first.work).toBe(path.join(dir, SHARED));
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
    const shared = path.join(dir, SHARED);
    const inner = await withLock(shared, async () => {
      await writeFile(path.join(shared, 'theirs.o'), 'the other build');
      return workIn(dir, true);
    });
    expect(path.basename(inner.work)).toMatch(/^sagewheels-build-\w{6}$/);
    expect(inner.text).toContain(
      `warning: another build is working in ${shared}: this build works in a folder of its own, so its wheel is not the canonical bytes, those of a build in ${shared} (nvcc names`,
    );
    expect(await readdir(dir)).toEqual([]);
  });

  it('runs builds started together each in a folder, one of them the shared one', async () => {
    const dir = await temp('together');
    const ctx = recordingContext();
    const folders = await Promise.all(
      [1, 2, 3].map(() =>
        inWorkFolder(path.join(dir, SHARED), dir, ctx.log, async (folder) => {
          await new Promise((resolve) => setTimeout(resolve, 100));
          return folder;
        }),
      ),
    );
    expect(new Set(folders).size).toBe(3);
    expect(folders.filter((f) => f === path.join(dir, SHARED))).toHaveLength(1);
    expect(await readdir(dir)).toEqual([]);
  });

  it('takes over the folder of a build that was killed, and leaves alone one it did not make', async () => {
    const dir = await temp('stale');
    const shared = path.join(dir, SHARED);
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
