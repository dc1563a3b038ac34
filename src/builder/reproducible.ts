import { inputError } from '../core/errors';
import { runProcess, type ProcessRunner } from '../core/exec';
import { readZip } from '../wheel/zip';

export type ReproducibleRule = 'true' | 'false' | 'check';
export const REPRODUCIBLE_RULES: readonly ReproducibleRule[] = ['true', 'false', 'check'];

/** 1980-01-01T00:00:00Z, the earliest time a zip entry can carry: for a source that is not a git checkout. */
export const ZIP_EPOCH = 315532800;

/**
 * SOURCE_DATE_EPOCH for the build: a given number of seconds; for `auto` the runner's own
 * SOURCE_DATE_EPOCH, else the commit time of the source's checkout, else 1980-01-01.
 */
export async function sourceDateEpoch(
  input: string,
  sourceDir: string,
  env: NodeJS.ProcessEnv,
  runner: ProcessRunner = runProcess,
): Promise<{ epoch: number; from: string }> {
  if (input !== 'auto') return { epoch: parseEpoch(input), from: 'source-date-epoch' };
  if (env.SOURCE_DATE_EPOCH && /^\d+$/.test(env.SOURCE_DATE_EPOCH))
    return { epoch: Number(env.SOURCE_DATE_EPOCH), from: "the runner's SOURCE_DATE_EPOCH" };
  // The last commit of the source's own files: a folder that sits untracked in another checkout
  // (a copy in a workspace) has none, rather than that checkout's time.
  const result = await runner('git', ['-C', sourceDir, 'log', '-1', '--format=%ct', '--', '.'], { env }).catch(
    () => undefined,
  );
  const committed = result?.code === 0 ? result.stdout.trim() : '';
  if (/^\d+$/.test(committed)) return { epoch: Number(committed), from: 'the commit time of the source' };
  return { epoch: ZIP_EPOCH, from: 'no git commit in the source: 1980-01-01' };
}

/** source-date-epoch: `auto` or whole seconds since 1970 (UTC). */
export function parseEpoch(input: string): number {
  if (!/^\d+$/.test(input) || Number(input) > 4102444800) {
    throw inputError(
      'source-date-epoch',
      `"${input}" is not a time`,
      'Allowed: auto (the commit time of the source) or whole seconds since 1970-01-01 UTC, e.g. 1735689600',
    );
  }
  return Number(input);
}

/**
 * Why two wheels of one build are not the same bytes: the first file (in the first wheel's
 * order) whose content differs or that one of them lacks, or the archive itself when every file
 * is the same. undefined when they are identical.
 */
export async function firstDifference(first: string, second: string): Promise<string | undefined> {
  const [a, b] = await Promise.all([readZip(first), readZip(second)]);
  const other = new Map(b.map((item) => [item.name, item]));
  for (const item of a) {
    const twin = other.get(item.name);
    if (!twin) return `${item.name} is only in the first build`;
    if (!twin.data.equals(item.data)) {
      const size = Math.max(item.data.length, twin.data.length);
      let differing = 0;
      for (let i = 0; i < size; i++) if (item.data[i] !== twin.data[i]) differing++;
      const at = item.data.findIndex((byte, i) => byte !== twin.data[i]);
      return `${item.name} differs (${differing} of ${size} bytes, the first at offset ${at < 0 ? Math.min(item.data.length, twin.data.length) : at})`;
    }
    if (twin.mode !== item.mode) return `${item.name} has mode ${item.mode.toString(8)}, then ${twin.mode.toString(8)}`;
    other.delete(item.name);
  }
  const extra = [...other.keys()][0];
  if (extra) return `${extra} is only in the rebuild`;
  return undefined;
}
