import * as tc from '@actions/tool-cache';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { withLock } from '../../src/cuda/lock';
import { fillOnce, toolkitDir, isComplete } from '../../src/cuda/slot';

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

describe('withLock', () => {
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
