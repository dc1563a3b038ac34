import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { lstat, mkdir, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { undoOnSignal } from './on-signal';

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

export interface TryLockOptions<T> extends LockOptions {
  /** Run instead of waiting when a live holder has the lock. */
  ifHeld?: () => Promise<T>;
}

interface Owner {
  token?: string;
  pid?: number;
  host?: string;
}

/** A holder on this host whose process no longer exists (killed with SIGKILL, or crashed). */
function deadHere(owner: Owner): boolean {
  if (owner.host !== os.hostname() || !Number.isSafeInteger(owner.pid)) return false;
  try {
    process.kill(owner.pid!, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * A lock between processes, and hosts sharing a folder: a directory that only one mkdir can
 * create. A lock whose holder is a process of this host that no longer runs is taken over at once;
 * otherwise the holder refreshes its mtime, and one left untouched for `staleMs` (a holder on
 * another host that died) is removed, so nobody waits forever. SIGINT and SIGTERM remove the
 * holder's lock on their way out. With `ifHeld`, a live holder's lock is not waited for.
 */
export async function withLock<T>(
  lockDir: string,
  body: () => Promise<T>,
  options: TryLockOptions<T> = {},
): Promise<T> {
  const { pollMs = 1000, refreshMs = 10_000, staleMs = 120_000, onWait, ifHeld } = options;
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
    const holder = await readFile(owner, 'utf8').catch(() => '');
    const parsed = ((): Owner => {
      try {
        return JSON.parse(holder) as Owner;
      } catch {
        return {};
      }
    })();
    if (deadHere(parsed)) {
      onWait?.(`taking over the lock ${lockDir}: its holder, process ${parsed.pid} on this host, no longer runs`);
      await rm(lockDir, { recursive: true, force: true });
      continue;
    }
    const held = await lstat(lockDir).catch(() => undefined);
    const age = held ? Date.now() - held.mtimeMs : 0;
    // Without an owner the folder may be none of ours: one that is only tried for is left alone.
    if (age > staleMs && (holder || !ifHeld)) {
      onWait?.(
        `breaking the lock ${lockDir}: untouched for ${Math.round(age / 1000)} s (${holder.trim() || 'unknown holder'})`,
      );
      await rm(lockDir, { recursive: true, force: true });
      continue;
    }
    if (ifHeld) return ifHeld();
    if (!waiting) onWait?.(`waiting for another job that holds ${lockDir}`);
    waiting = true;
    await sleep(pollMs);
  }
  const ours = () => {
    try {
      return readFileSync(owner, 'utf8').includes(token);
    } catch {
      return true; // the signal came before the owner file: the folder is still the one we made
    }
  };
  const forget = undoOnSignal(() => {
    if (ours()) rmSync(lockDir, { recursive: true, force: true });
  });
  // Written whole or not at all: a reader never sees half an owner.
  await writeFile(
    `${owner}.tmp`,
    JSON.stringify({ token, pid: process.pid, host: os.hostname(), since: new Date().toISOString() }),
  );
  await rename(`${owner}.tmp`, owner);
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(lockDir, now, now).catch(() => undefined);
  }, refreshMs);
  heartbeat.unref();
  try {
    return await body();
  } finally {
    forget();
    clearInterval(heartbeat);
    // Only our own lock: a waiter may have broken it and taken a new one meanwhile.
    const current = await readFile(owner, 'utf8').catch(() => '');
    if (current.includes(token)) await rm(lockDir, { recursive: true, force: true });
  }
}
