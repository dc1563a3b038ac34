import type { Clock } from '../../src/http/policy';

/** A clock whose waits pass at once: each sleep moves its time on and is recorded. */
export function virtualClock(start = Date.now()): { clock: Clock; now: () => number; slept: number[] } {
  let time = start;
  const slept: number[] = [];
  const clock: Clock = {
    now: () => time,
    async sleep(ms, signal) {
      signal?.throwIfAborted();
      slept.push(ms);
      time += ms;
      await Promise.resolve();
    },
  };
  return { clock, now: () => time, slept };
}
