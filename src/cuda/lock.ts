import { randomUUID } from 'node:crypto';
import { lstat, mkdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LockOptions {
  /** How often a waiter looks again. */
  pollMs?: number;
  /** How often the holder touches the lock to show it is alive. */
  refreshMs?: number;
  /** A lock untouched this long belongs to a holder that died; it is broken. */
  staleMs?: number;
  /** Told when this process starts waiting, and when it breaks a stale lock. */
  onWait?: (message: string) => void;
}

/**
 * A lock between processes, and hosts sharing a folder: a directory that only one mkdir can
 * create. The holder refreshes its mtime; one left untouched for `staleMs` (a crashed or killed
 * job) is removed, so nobody waits forever.
 */
export async function withLock<T>(lockDir: string, body: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const { pollMs = 1000, refreshMs = 10_000, staleMs = 120_000, onWait } = options;
  const token = randomUUID();
  const owner = path.join(lockDir, 'owner.json');
  await mkdir(path.dirname(lockDir), { recursive: true });
  let waiting = false;
  for (;;) {
    try {
      await mkdir(lockDir);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const held = await lstat(lockDir).catch(() => undefined);
    const age = held ? Date.now() - held.mtimeMs : 0;
    if (age > staleMs) {
      const holder = await readFile(owner, 'utf8').catch(() => 'unknown holder');
      onWait?.(`breaking the lock ${lockDir}: untouched for ${Math.round(age / 1000)} s (${holder.trim()})`);
      await rm(lockDir, { recursive: true, force: true });
      continue;
    }
    if (!waiting) onWait?.(`waiting for another job that holds ${lockDir}`);
    waiting = true;
    await sleep(pollMs);
  }
  await writeFile(
    owner,
    JSON.stringify({ token, pid: process.pid, host: os.hostname(), since: new Date().toISOString() }),
  );
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(lockDir, now, now).catch(() => undefined);
  }, refreshMs);
  heartbeat.unref();
  try {
    return await body();
  } finally {
    clearInterval(heartbeat);
    // Only our own lock: a waiter may have broken it and taken a new one meanwhile.
    const current = await readFile(owner, 'utf8').catch(() => '');
    if (current.includes(token)) await rm(lockDir, { recursive: true, force: true });
  }
}
