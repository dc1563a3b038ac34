import path from 'node:path';
import type { Log } from '../core/context';
import { errorMessage, inputError } from '../core/errors';
import type { MatrixPlatform } from '../wheel/tags';
import { readCache, writeCache } from './cache';
import { readTorchIndex } from './read-index';
import { PYTORCH_INDEX, TorchReleases } from './releases';
import { SNAPSHOT } from './snapshot';

/** The embedded snapshot's form: Pythons of each build as one space-separated string. */
export interface Snapshot {
  /** The day it was made. */
  date: string;
  /** Where its wheel names came from: an index URL, or the facts the script encodes. */
  from: string;
  table: Record<string, Record<string, Partial<Record<MatrixPlatform, string>>>>;
}

export type ReleasesSource =
  | { kind: 'index'; url: string; readAt: string; cached: boolean }
  | { kind: 'snapshot'; date: string; from: string; why?: string };

export interface LoadOptions {
  /** The index to read; default PyTorch's, https://download.pytorch.org/whl. */
  index?: string;
  /** `snapshot`: plan from the embedded snapshot, no request. */
  offline?: boolean;
  /** Where reads are kept between runs (the runner tool cache); none: read every time. */
  cacheDir?: string;
  /** How long a read stays good (default 6 hours: a new torch is planned within a day by a daily schedule). */
  maxAgeMs?: number;
  timeoutMs?: number;
  now?: () => Date;
  log: Pick<Log, 'info' | 'warning'>;
}

export const CACHE_MAX_AGE_MS = 6 * 3600_000;

export function snapshotReleases(snapshot: Snapshot = SNAPSHOT): TorchReleases {
  const table = Object.fromEntries(
    Object.entries(snapshot.table).map(([version, cudas]) => [
      version,
      Object.fromEntries(
        Object.entries(cudas).map(([cuda, platforms]) => [
          cuda,
          Object.fromEntries(Object.entries(platforms).map(([platform, pythons]) => [platform, pythons!.split(' ')])),
        ]),
      ),
    ]),
  );
  return new TorchReleases(table);
}

/**
 * PyTorch's releases: from the cache when a read of the index is fresh there, else from the index
 * (then cached), else, with a warning naming the URL and the failure, from the embedded snapshot.
 */
export async function loadTorchReleases(
  options: LoadOptions,
): Promise<{ releases: TorchReleases; source: ReleasesSource }> {
  const fromSnapshot = (why?: string) => ({
    releases: snapshotReleases(),
    source: { kind: 'snapshot', date: SNAPSHOT.date, from: SNAPSHOT.from, why } as const,
  });
  if (options.offline) return fromSnapshot();
  const now = options.now ?? (() => new Date());
  const index = (options.index ?? PYTORCH_INDEX).replace(/\/+$/, '');
  const maxAge = options.maxAgeMs ?? CACHE_MAX_AGE_MS;
  if (options.cacheDir) {
    const cached = await readCache(options.cacheDir, index, maxAge, now());
    if (cached)
      return {
        releases: new TorchReleases(cached.table),
        source: { kind: 'index', url: index, readAt: cached.readAt, cached: true },
      };
  }
  try {
    const read = await readTorchIndex(index, { timeoutMs: options.timeoutMs });
    const readAt = now().toISOString();
    options.log.info(
      `PyTorch releases: ${read.url} (${read.format === 'json' ? 'PEP 691 JSON' : 'PEP 503 HTML'}, ${read.bytes} bytes, ${read.releases.versions.length} versions)`,
    );
    if (options.cacheDir) {
      await writeCache(options.cacheDir, { url: index, readAt, table: read.releases.table }).catch((error) =>
        options.log.warning(
          `the read of ${read.url} could not be cached in ${options.cacheDir}: ${errorMessage(error)}`,
        ),
      );
    }
    return { releases: read.releases, source: { kind: 'index', url: index, readAt, cached: false } };
  } catch (error) {
    const why = errorMessage(error);
    options.log.warning(
      `PyTorch's index could not be read (${why}): planning from the embedded snapshot of ${SNAPSHOT.date} (releases after it are missing)`,
    );
    return fromSnapshot(why);
  }
}

/** One line for the summary: which releases the plan was made from. */
export function describeSource(source: ReleasesSource): string {
  if (source.kind === 'index')
    return `PyTorch releases: the index ${source.url}, read at ${source.readAt}${source.cached ? ' (cached)' : ''}`;
  const made = source.from.startsWith('http') ? '' : ', written from public facts, not read from the index';
  return `PyTorch releases: the embedded snapshot of ${source.date}${made}${source.why ? ` (the index failed: ${source.why})` : ' (no request made)'}`;
}

/**
 * The load options of the torch-index-url and torch-mirror-url inputs: one index to read, else a
 * mirror of PyTorch's, else PyTorch's own; `snapshot` makes no request. Reads are cached in the
 * runner tool cache. A URL that is not http(s) is refused before any request.
 */
export function releasesOptions(
  given: { indexUrl?: string; mirrorUrl?: string },
  env: NodeJS.ProcessEnv,
  log: LoadOptions['log'],
): LoadOptions {
  for (const [input, value] of [
    ['torch-index-url', given.indexUrl],
    ['torch-mirror-url', given.mirrorUrl === 'snapshot' ? undefined : given.mirrorUrl],
  ] as const) {
    if (value !== undefined && !/^https?:\/\/[^/\s]+/.test(value))
      throw inputError(input, `"${value}" is not an http(s) URL`, `Give the index's base URL, like ${PYTORCH_INDEX}`);
  }
  return {
    index: given.indexUrl ?? (given.mirrorUrl === 'snapshot' ? undefined : given.mirrorUrl),
    offline: given.indexUrl === undefined && given.mirrorUrl === 'snapshot',
    cacheDir: env.RUNNER_TOOL_CACHE ? path.join(env.RUNNER_TOOL_CACHE, 'sagewheels', 'torch-index') : undefined,
    log,
  };
}
