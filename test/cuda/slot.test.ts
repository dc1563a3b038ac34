import * as tc from '@actions/tool-cache';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { withLock } from '../../src/core/lock';
import { checkInstallDir, fillOnce, toolkitDir, isComplete } from '../../src/cuda/slot';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'sagewheels-slot-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const fast = { pollMs: 20, refreshMs: 50, staleMs: 1000 };
const writeToolkit = (marker: string) => async (staging: string) => {
  await mkdir(path.join(staging, 'toolkit', 'bin'), { recursive: true });
  await writeFile(path.join(staging, 'toolkit', 'bin', 'nvcc'), marker);
};

describe('fillOnce', () => {
  it('saves where @actions/tool-cache finds it, under the same key', async () => {
    const cache = path.join(root, 'cache-find');
    const dir = toolkitDir(undefined, cache, { tool: 'cuda', version: '12.8.1', arch: 'linux-x86_64-0123456789' });
    expect(await fillOnce(dir, writeToolkit('one'), { lock: fast })).toBe('installed');
    vi.stubEnv('RUNNER_TOOL_CACHE', cache);
    try {
      expect(tc.find('cuda', '12.8.1', 'linux-x86_64-0123456789')).toBe(dir);
      expect(tc.find('cuda', '12.8.1', 'linux-x86_64-9876543210')).toBe('');
    } finally {
      vi.unstubAllEnvs();
    }
    expect(await fillOnce(dir, () => Promise.reject(new Error('must not run')), { lock: fast })).toBe('found');
  });

  it('installs once when several jobs ask at the same time', async () => {
    const dir = path.join(root, 'cache-race', 'cuda', '13.0.2', 'x');
    let installs = 0;
    const slow = async (staging: string) => {
      installs++;
      await new Promise((resolve) => setTimeout(resolve, 200));
      await writeToolkit('raced')(staging);
    };
    const outcomes = await Promise.all([1, 2, 3].map(() => fillOnce(dir, slow, { lock: fast })));
    expect(installs).toBe(1);
    expect(outcomes.sort()).toEqual(['found', 'found', 'installed']);
    expect(await readdir(path.dirname(dir))).toEqual(['x', 'x.complete']);
  });

  it('leaves nothing behind when the install fails, and the next one succeeds', async () => {
    const dir = path.join(root, 'cache-fail', 'cuda', '13.0.2', 'x');
    const failing = async (staging: string) => {
      await writeToolkit('half')(staging);
      throw new Error('sha256 checksum mismatch');
    };
    await expect(fillOnce(dir, failing, { lock: fast })).rejects.toThrow('sha256 checksum mismatch');
    expect(await readdir(path.dirname(dir))).toEqual([]);
    expect(isComplete(dir)).toBe(false);
    expect(await fillOnce(dir, writeToolkit('second'), { lock: fast })).toBe('installed');
  });

  it('takes over from a job that died: breaks its stale lock and clears what it left', async () => {
    const dir = path.join(root, 'cache-crash', 'cuda', '13.0.2', 'x');
    await mkdir(`${dir}.lock`, { recursive: true });
    await writeFile(`${dir}.lock/owner.json`, '{"pid": 999999, "host": "gone"}');
    const past = new Date(Date.now() - 60_000);
    await utimes(`${dir}.lock`, past, past);
    await mkdir(path.join(`${dir}.staging-deadbeef`, 'downloads'), { recursive: true });
    await mkdir(path.join(dir, 'bin'), { recursive: true }); // renamed into place, marker never written

    const waits: string[] = [];
    expect(await fillOnce(dir, writeToolkit('fresh'), { lock: { ...fast, onWait: (m) => waits.push(m) } })).toBe(
      'installed',
    );
    expect(waits.join('\n')).toMatch(
      /breaking the lock .*x\.lock: untouched for \d+ s \(\{"pid": 999999, "host": "gone"\}\)/,
    );
    expect(await readdir(path.dirname(dir))).toEqual(['x', 'x.complete']);
    expect(await readFile(path.join(dir, 'bin', 'nvcc'), 'utf8')).toBe('fresh');
  });

  it('never deletes what is in a folder the user chose', async () => {
    const dir = path.join(root, 'mine');
    await mkdir(dir);
    await writeFile(path.join(dir, 'notes.txt'), 'keep me');
    await expect(fillOnce(dir, writeToolkit('x'), { lock: fast, userDir: true })).rejects.toThrow(
      `install-dir: ${dir} already holds files, and no toolkit that sagewheels finished. Choose a new or empty folder`,
    );
    expect(await readFile(path.join(dir, 'notes.txt'), 'utf8')).toBe('keep me');
  });
});

describe('install-dir', () => {
  it('refuses a file, a symlink and a folder with files, and leaves each as it was', async () => {
    const file = path.join(root, 'n.txt');
    await writeFile(file, 'data');
    await expect(checkInstallDir(file)).rejects.toThrow(
      `install-dir: ${file} is a file, not a folder. Choose a new or empty folder: sagewheels never deletes or overwrites what it did not create`,
    );
    await expect(fillOnce(file, writeToolkit('x'), { lock: fast, userDir: true })).rejects.toThrow('is a file');
    expect(await readFile(file, 'utf8')).toBe('data');

    const link = path.join(root, 'link-to-dir');
    await mkdir(path.join(root, 'empty-target'));
    await symlink(path.join(root, 'empty-target'), link);
    await expect(checkInstallDir(link)).rejects.toThrow(`install-dir: ${link} is a symlink, not a folder`);
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
  });

  it('installs into an empty folder the user made, and leaves it in place when the install fails', async () => {
    const failing = path.join(root, 'empty-fail');
    await mkdir(failing);
    await expect(
      fillOnce(failing, () => Promise.reject(new Error('checksum mismatch')), { lock: fast, userDir: true }),
    ).rejects.toThrow('checksum mismatch');
    expect(await readdir(failing)).toEqual([]);

    const dir = path.join(root, 'empty-ok');
    await mkdir(dir);
    expect(await fillOnce(dir, writeToolkit('mine'), { lock: fast, userDir: true })).toBe('installed');
    expect(await readFile(path.join(dir, 'bin', 'nvcc'), 'utf8')).toBe('mine');
    await expect(checkInstallDir(dir)).resolves.toBeUndefined();
  });
});

describe('withLock', () => {
  it('takes over at once, with a message, a lock whose holder on this host no longer runs', async () => {
    const lock = path.join(root, 'dead.lock');
    const child = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => child.on('exit', resolve));
    await mkdir(lock);
    await writeFile(path.join(lock, 'owner.json'), JSON.stringify({ token: 't', pid: child.pid, host: os.hostname() }));
    const waits: string[] = [];
    const started = Date.now();
    // staleMs is far beyond the test's timeout: only the dead pid can explain a quick entry.
    await withLock(lock, async () => undefined, { pollMs: 20, staleMs: 3_600_000, onWait: (m) => waits.push(m) });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(waits).toEqual([
      `taking over the lock ${lock}: its holder, process ${child.pid} on this host, no longer runs`,
    ]);
  });

  it('waits, with a message, for a holder that still runs', async () => {
    const lock = path.join(root, 'alive.lock');
    await mkdir(lock);
    await writeFile(
      path.join(lock, 'owner.json'),
      JSON.stringify({ token: 't', pid: process.pid, host: os.hostname() }),
    );
    const waits: string[] = [];
    setTimeout(() => void rm(lock, { recursive: true, force: true }), 200);
    await withLock(lock, async () => undefined, { pollMs: 20, staleMs: 3_600_000, onWait: (m) => waits.push(m) });
    expect(waits).toEqual([`waiting for another job that holds ${lock}`]);
  });

  it("keeps a live holder's lock fresh, so a long install is not taken for a dead one", async () => {
    const lock = path.join(root, 'live.lock');
    const order: string[] = [];
    const holder = withLock(
      lock,
      async () => {
        order.push('first in');
        await new Promise((resolve) => setTimeout(resolve, 400)); // longer than staleMs below
        order.push('first out');
      },
      { pollMs: 20, refreshMs: 30, staleMs: 150 },
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    await withLock(lock, async () => void order.push('second'), { pollMs: 20, refreshMs: 30, staleMs: 150 });
    await holder;
    expect(order).toEqual(['first in', 'first out', 'second']);
    expect(existsSync(lock)).toBe(false);
  });
});
