import os from 'node:os';
import { inputError } from '../core/errors';
import { atLeast } from '../core/version';

/** Memory one nvcc job may take: cicc and ptxas on template-heavy kernels reach several GB. */
export const GIB_PER_JOB = 4;

export interface Machine {
  cores: number;
  /** Memory free for the build, in GiB (the cgroup limit when there is one). */
  memoryGiB: number;
}

export function thisMachine(): Machine {
  const constrained = process.constrainedMemory?.() ?? 0;
  const free = constrained > 0 ? Math.min(constrained, os.freemem()) : os.freemem();
  return { cores: os.availableParallelism(), memoryGiB: free / 2 ** 30 };
}

export interface JobPlan {
  jobs: number;
  /** How `jobs` was chosen, for the log. */
  reason: string;
  /** nvcc --split-compile: threads for one compilation's optimizer (cicc, ptxas); 1 = off. */
  splitCompile: number;
}

/**
 * nvcc writes ptxas's command line, --split-compile's count among it, into every cubin: a count
 * that followed the machine's cores would make each core count build other bytes. Reproducible
 * builds take this one on every machine (8: most of what the slowest object gains, on the
 * 16-core GPU hosts measured; a smaller machine runs the threads in turn).
 */
export const REPRODUCIBLE_SPLIT_COMPILE = 8;

/**
 * How many compiler processes run at once: `auto` is as many as there are cores, but no more
 * than memory holds at GIB_PER_JOB each.
 */
export function planJobs(input: string, machine: Machine, nvccVersion: string, reproducible = false): JobPlan {
  let jobs: number;
  let reason: string;
  if (input === 'auto') {
    const byMemory = Math.max(1, Math.floor(machine.memoryGiB / GIB_PER_JOB));
    jobs = Math.max(1, Math.min(machine.cores, byMemory));
    reason = `${machine.cores} cores, ${machine.memoryGiB.toFixed(0)} GiB free at ${GIB_PER_JOB} GiB per job`;
  } else if (/^\d+$/.test(input) && Number(input) >= 1) {
    jobs = Number(input);
    reason = 'given';
  } else {
    throw inputError('jobs', `"${input}" is not allowed`, 'Allowed: auto, or a whole number >= 1');
  }
  // The slowest object is the critical path (SageAttention: one sm_80 file, 276 of 292 s), and
  // --threads cannot help it: it parallelizes over -gencode targets and that file has one.
  // --split-compile runs the optimizer of one compilation on several threads; while many
  // objects build they share the cores, and the straggler left at the end gets them all.
  const splitCompile = !atLeast(nvccVersion, '12.1')
    ? 1
    : reproducible
      ? REPRODUCIBLE_SPLIT_COMPILE
      : Math.min(jobs, machine.cores);
  return { jobs, reason, splitCompile };
}
