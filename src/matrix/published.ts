import { atLeast } from '../core/version';
import type { Releaser } from '../github/releases';
import { localLabel, parseWheelName, type WheelName } from '../wheel/name';
import { wheelFits } from '../wheel/tags';
import type { MatrixEntry, Plan } from './plan';

/**
 * Names of the wheels fully uploaded to the tag's release, a draft included (a release still
 * being published holds what earlier runs built), or undefined when no release has the tag.
 * A `starter` asset is an upload that failed midway.
 */
export async function releaseWheels(
  releaser: Releaser,
  tag: string,
): Promise<{ names: string[]; draft: boolean } | undefined> {
  const release = await releaser.find(tag);
  if (!release) return undefined;
  const names = release.assets
    .filter((asset) => asset.state === 'uploaded' && asset.name.endsWith('.whl'))
    .map((asset) => asset.name);
  return { names, draft: release.draft };
}

const parsed = (name: string): WheelName | undefined => {
  try {
    return parseWheelName(name);
  } catch {
    return undefined;
  }
};

/**
 * Whether this wheel serves the entry: it installs on the entry's Python (an abi3 wheel on every
 * CPython from its tag on) and platform, and has the entry's local version label, or is a
 * stable-ABI wheel ("cu130torch2.10.0andhigher") of the entry's CUDA major and a torch no newer.
 */
function wheelOfEntry(wheel: WheelName, entry: MatrixEntry): boolean {
  const label = entry['version-suffix'].replace(/^\+/, '').toLowerCase();
  const wheelLabel = (localLabel(wheel.version) ?? '').toLowerCase();
  return (wheelLabel === label || stableServes(wheelLabel, entry)) && wheelFits(wheel, entry.python, entry.platform);
}

function stableServes(wheelLabel: string, entry: MatrixEntry): boolean {
  const stable = /^cu(\d+)(\d)torch(\d+(?:\.\d+)*)andhigher$/.exec(wheelLabel);
  if (!stable) return false;
  const [, cudaMajor, , torch] = stable;
  return entry.cuda.split('.')[0] === cudaMajor && atLeast(entry.torch, torch!);
}

/** The plan less the entries whose wheel is already among `wheelNames`, so a rerun builds only what is missing. */
export function skipPublished(plan: Plan, wheelNames: readonly string[]): Plan {
  const wheels = wheelNames.map(parsed).filter((wheel): wheel is WheelName => wheel !== undefined);
  const done = (entry: MatrixEntry) => wheels.some((wheel) => wheelOfEntry(wheel, entry));
  return {
    ...plan,
    entries: plan.entries.filter((e) => !done(e)),
    published: [...plan.published, ...plan.entries.filter(done)],
  };
}

/** The entries that none of `wheelNames` serves (for the release notes of a partial matrix). */
export function entriesWithout(entries: readonly MatrixEntry[], wheelNames: readonly string[]): MatrixEntry[] {
  const wheels = wheelNames.map(parsed).filter((wheel): wheel is WheelName => wheel !== undefined);
  return entries.filter((entry) => !wheels.some((wheel) => wheelOfEntry(wheel, entry)));
}

/** The entry a wheel was built for, if any. */
export function entryOfWheel(entries: readonly MatrixEntry[], wheelName: string): MatrixEntry | undefined {
  const wheel = parsed(wheelName);
  return wheel && entries.find((entry) => wheelOfEntry(wheel, entry));
}
