export interface Lap {
  phase: string;
  seconds: number;
}

/** "source 0.1 s, pip wheel 12.0 s" */
export const formatLaps = (laps: readonly Lap[]): string =>
  laps.map(({ phase, seconds }) => `${phase} ${seconds.toFixed(1)} s`).join(', ');

/** Seconds spent in each phase of a task, in order. */
export class Stopwatch {
  readonly laps: Lap[] = [];
  private last = performance.now();

  /** Ends the phase that ran since the previous lap (or since the start). */
  lap(phase: string): void {
    const now = performance.now();
    this.laps.push({ phase, seconds: (now - this.last) / 1000 });
    this.last = now;
  }
}
