import { abiVersionSuffix } from '../abi/promise';
import type { SourceAbi } from '../abi/detect';
import { ConfigurationError } from '../core/errors';
import { atLeast, compareVersions, majorMinor } from '../core/version';
import { versionSuffix } from '../torch/releases';
import type { MatrixEntry, Plan } from './plan';

/** The keys of a matrix job that an ABI collapse reads and writes. */
export interface AbiJob {
  python: string;
  torch: string;
  cuda: string;
  platform: string;
  'version-suffix': string;
  [key: string]: unknown;
}

export interface Collapsed<T extends AbiJob> {
  entries: (T & { 'test-pythons': string; 'test-torches': string })[];
  /** Jobs dropped because the ABI's floor excludes them, each with the reason. */
  leftOut: string[];
  /** "96 -> 4 jobs: abi3 from Python 3.10 ..." or undefined when nothing collapsed. */
  note?: string;
}

/**
 * One job for all the jobs whose wheel would be the same: an abi3 wheel serves every Python of
 * its torch x CUDA x platform (built with the oldest), a stable-ABI wheel every torch of its
 * CUDA major x platform (built against the oldest torch, with the newest CUDA minor that torch
 * was published with, so the most GPU archs compile).
 */
export function collapseByAbi<T extends AbiJob>(jobs: readonly T[], abi: SourceAbi): Collapsed<T> {
  const leftOut: string[] = [];
  const kept = jobs.filter((job) => {
    if (abi.limited && !atLeast(job.python.replace(/t$/, ''), abi.limited.python)) {
      leftOut.push(`Python ${job.python}: the source's limited API needs Python >= ${abi.limited.python}`);
      return false;
    }
    if (abi.stable && !atLeast(job.torch, abi.stable.torch)) {
      leftOut.push(`torch ${job.torch}: the source's stable-ABI code needs torch >= ${abi.stable.torch}`);
      return false;
    }
    return true;
  });
  const groupKey = (job: T): string =>
    [
      // A free-threaded CPython (3.14t) has no limited API yet: its wheel stays its own.
      abi.limited && !job.python.endsWith('t') ? '' : job.python,
      abi.stable ? job.cuda.split('.')[0] : job.torch,
      abi.stable ? '' : majorMinor(job.cuda),
      job.platform,
    ].join('|');
  const groups = new Map<string, T[]>();
  for (const job of kept) groups.set(groupKey(job), [...(groups.get(groupKey(job)) ?? []), job]);

  const entries = [...groups.values()].map((group) => {
    const pythons = unique(group.map((job) => job.python));
    const torches = unique(group.map((job) => job.torch));
    const oldestTorch = torches[0]!;
    const builds = group.filter((job) => job.torch === oldestTorch && job.python === pythons[0]);
    const chosen = builds.sort((a, b) => compareVersions(b.cuda, a.cuda))[0] ?? group[0]!;
    // A suffix an include set by hand stays; only the default one says what the ABI serves.
    const byHand = chosen['version-suffix'] !== versionSuffix(chosen.cuda, chosen.torch);
    return {
      ...chosen,
      python: pythons[0]!,
      torch: oldestTorch,
      'version-suffix': byHand ? chosen['version-suffix'] : abiVersionSuffix(chosen.cuda, oldestTorch, abi),
      'test-pythons': pythons.join(','),
      'test-torches': torches.join(','),
    };
  });
  const collapsed = entries.length < jobs.length;
  return {
    entries,
    leftOut,
    ...(collapsed ? { note: `${jobs.length} -> ${entries.length} jobs: ${reason(abi)}` } : {}),
  };
}

function reason(abi: SourceAbi): string {
  const parts = [
    ...(abi.limited ? [`one abi3 wheel serves every Python from ${abi.limited.python}`] : []),
    ...(abi.stable
      ? [`one stable-ABI wheel serves every torch from ${abi.stable.torch} of a CUDA major`]
      : ['one wheel per torch and CUDA']),
  ];
  return parts.join('; ');
}

const unique = (values: string[]): string[] => [...new Set(values)].sort(compareVersions);

/** The plan with the jobs the ABI makes redundant collapsed; an ABI of nothing leaves it as it is. */
export function collapsePlan(plan: Plan, abi: SourceAbi): Plan {
  if (!abi.limited && !abi.stable) return plan;
  const collapsed = collapseByAbi<MatrixEntry>(plan.entries, abi);
  if (collapsed.entries.length === 0) {
    throw new ConfigurationError(
      `no combination is left to build (${collapsed.leftOut.join('; ')}). Widen python-versions or torch-versions to the ABI's floor, or set abi: none`,
    );
  }
  return {
    ...plan,
    entries: collapsed.entries,
    leftOut: [...plan.leftOut, ...collapsed.leftOut],
    ...(collapsed.note ? { collapse: collapsed.note } : {}),
  };
}

/** The oldest regular Python and oldest torch a plan builds: the floor of an ABI given by hand. */
export function planFloor(entries: readonly MatrixEntry[]): { python: string; torch: string } {
  const pythons = unique(entries.map((e) => e.python).filter((p) => !p.endsWith('t')));
  return { python: pythons[0] ?? entries[0]!.python, torch: unique(entries.map((e) => e.torch))[0]! };
}
