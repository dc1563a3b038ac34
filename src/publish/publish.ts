import { createReadStream } from 'node:fs';
import type { Log } from '../core/context';
import { inputError } from '../core/errors';
import type { GitHubClient, Repo } from '../github/client';
import type { ArtifactResult, Artifacts } from './artifacts';
import { syncListings } from './listings';
import { eachLimit } from './pool';
import { ensureRelease, findRelease, type Asset, type Release, type ReleaseSpec } from './release';
import { isAlreadyExists, textUpload, type Transfers } from './transfer';
import { formatSidecar, formatSize, sidecarName } from './views';
import { sha256File, type LocalWheel } from './wheels';

export type ConflictPolicy = 'overwrite' | 'skip' | 'fail';
export type AssetAction = 'create' | 'replace' | 'skip' | 'unchanged';

export interface PublishRequest {
  wheels: LocalWheel[];
  release: ReleaseSpec;
  onConflict: ConflictPolicy;
  checksums: boolean;
  indexPage: boolean;
  dryRun: boolean;
  concurrency: number;
}

export interface PublishDeps {
  api: GitHubClient;
  transfers: Transfers;
  repo: Repo;
  log: Log;
  secondMs: number;
  /** Workflow artifacts, when asked for and available. */
  artifacts?: Artifacts;
}

export interface AssetResult {
  name: string;
  action: AssetAction;
  size: number;
  sha256?: string;
  url?: string;
}

export interface PublishResult {
  releaseUrl: string;
  /** This run created the release (or, in a dry run, would). */
  releaseCreated: boolean;
  assets: AssetResult[];
  /** Listings this run rewrote. */
  listings: string[];
  artifacts: ArtifactResult[];
}

interface Planned {
  wheel: LocalWheel;
  action: AssetAction | 'conflict';
  existing?: Asset;
}

/** What to do with a wheel given the release's asset of that name, if any. */
async function decide(
  wheel: LocalWheel,
  existing: Asset | undefined,
  policy: ConflictPolicy,
  sha256: () => Promise<string>,
): Promise<Planned> {
  // A `starter` asset is what a failed upload leaves behind: never a conflict.
  if (!existing || existing.state !== 'uploaded') return { wheel, action: 'create', existing };
  if (existing.digest && existing.digest === `sha256:${await sha256()}`)
    return { wheel, action: 'unchanged', existing };
  return { wheel, action: policy === 'overwrite' ? 'replace' : policy === 'skip' ? 'skip' : 'conflict', existing };
}

function refuseConflicts(planned: Planned[], tag: string): void {
  const conflicts = planned.filter((p) => p.action === 'conflict').map((p) => p.wheel.name);
  if (conflicts.length > 0) {
    throw inputError(
      'on-conflict',
      `fail, and release ${tag} already has a different ${conflicts.join(', ')}`,
      'Use overwrite to replace them or skip to keep them',
    );
  }
}

export async function publish(request: PublishRequest, deps: PublishDeps): Promise<PublishResult> {
  const { api, transfers, repo, log } = deps;
  const { tag } = request.release;
  const hashes = new Map<string, Promise<string>>();
  const sha256Of = (wheel: LocalWheel) => () => {
    if (!hashes.has(wheel.path)) hashes.set(wheel.path, sha256File(wheel.path));
    return hashes.get(wheel.path)!;
  };
  const planFor = async (release: Release | undefined) => {
    const assets = release ? await transfers.assets(release) : [];
    const byName = new Map(assets.map((a) => [a.name, a]));
    const planned = await Promise.all(
      request.wheels.map((w) => decide(w, byName.get(w.name), request.onConflict, sha256Of(w))),
    );
    refuseConflicts(planned, tag);
    return { planned, byName };
  };

  // Everything that can refuse the run is checked before anything changes.
  const existing = await findRelease(api, repo, tag);
  let { planned, byName } = await planFor(existing);
  const artifactPlan = deps.artifacts ? await deps.artifacts.plan(request.wheels, request.onConflict) : [];

  if (request.dryRun) {
    if (!existing)
      log.info(
        `would create release ${tag}${request.release.draft ? ' (draft)' : ''}${request.release.target ? ` at ${request.release.target}` : ''}`,
      );
    for (const p of planned)
      log.info(
        `${p.action === 'unchanged' ? 'unchanged' : `would ${p.action}`}: ${p.wheel.name} (${formatSize(p.wheel.size)})`,
      );
    const listings = [request.checksums && 'SHA256SUMS', request.indexPage && 'index.html', 'release notes'].filter(
      Boolean,
    );
    log.info(`would rebuild ${listings.join(', ')}`);
    for (const a of artifactPlan) log.info(`would ${a.action} workflow artifact ${a.name}`);
    return {
      releaseUrl: existing?.html_url ?? '',
      releaseCreated: !existing,
      assets: planned.map((p) => ({
        name: p.wheel.name,
        action: p.action as AssetAction,
        size: p.wheel.size,
        url: p.existing?.browser_download_url,
      })),
      listings: [],
      artifacts: artifactPlan,
    };
  }

  const { release, created } = existing
    ? { release: existing, created: false }
    : await log.group(`Release ${tag}`, () => ensureRelease(api, repo, request.release, log));
  if (!existing && !created) ({ planned, byName } = await planFor(release)); // another job made it: look again
  log.info(`${created ? 'created' : 'using'} release ${tag}${release.draft ? ' (draft)' : ''}: ${release.html_url}`);

  const texts = new Map<number, string>();
  const listingsContext = {
    api,
    transfers,
    repo,
    log,
    secondMs: deps.secondMs,
    concurrency: request.concurrency,
    texts,
  };
  const added: Asset[] = [];
  const results = new Map<string, AssetResult>();

  const uploadWheel = async (p: Planned, sha256: string): Promise<Planned> => {
    if (p.existing) await transfers.remove(p.existing);
    try {
      const asset = await transfers.upload(release, {
        name: p.wheel.name,
        contentType: 'application/octet-stream',
        size: p.wheel.size,
        sha256,
        body: () => createReadStream(p.wheel.path),
      });
      if (p.action === 'create') added.push(asset);
      return { ...p, existing: asset };
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
      // Another job uploaded this name after the plan was made: decide again.
      const now = (await transfers.assets(release)).find((a) => a.name === p.wheel.name);
      const again = await decide(p.wheel, now, request.onConflict, async () => sha256);
      refuseConflicts([again], tag);
      return again.action === 'create' || again.action === 'replace' ? uploadWheel(again, sha256) : again;
    }
  };

  const writeSidecar = async (wheel: LocalWheel, sha256: string, isNew: boolean) => {
    const text = formatSidecar({ name: wheel.name, sha256, archs: wheel.archs });
    const current = byName.get(sidecarName(wheel.name));
    if (current?.state === 'uploaded' && (await transfers.download(current)).toString() === text) return;
    if (current) await transfers.remove(current);
    const sidecar = await transfers.upload(
      release,
      textUpload(sidecarName(wheel.name), 'text/plain; charset=utf-8', text),
    );
    texts.set(sidecar.id, text);
    if (isNew) added.push(sidecar);
  };

  try {
    await log.group(`Upload ${planned.length} wheel(s) to ${tag}, ${request.concurrency} at a time`, () =>
      eachLimit(planned, request.concurrency, async (p) => {
        const started = Date.now();
        let done = p;
        let sha256: string | undefined;
        if (p.action === 'create' || p.action === 'replace' || p.action === 'unchanged') {
          sha256 = await sha256Of(p.wheel)();
          if (p.action !== 'unchanged') done = await uploadWheel(p, sha256);
          if (request.checksums && done.action !== 'skip')
            await writeSidecar(p.wheel, sha256, done.action === 'create');
        }
        const action = done.action as AssetAction;
        results.set(p.wheel.name, {
          name: p.wheel.name,
          action,
          size: p.wheel.size,
          sha256,
          url: done.existing?.browser_download_url,
        });
        const what = {
          create: 'created',
          replace: 'replaced',
          unchanged: 'unchanged (identical file already published)',
          skip: 'skipped (a different file of that name is published; on-conflict: skip)',
        }[action];
        log.info(
          `${what}: ${p.wheel.name} (${formatSize(p.wheel.size)})${action === 'create' || action === 'replace' ? ` in ${((Date.now() - started) / 1000).toFixed(1)} s` : ''}`,
        );
      }),
    );
  } catch (error) {
    await rollBack(deps, release, created, added, () => syncListings(listingsContext, release, request));
    throw error;
  }

  const listings = await log.group('Release listings', () => syncListings(listingsContext, release, request));
  const artifacts = deps.artifacts
    ? await log.group('Workflow artifacts', () => deps.artifacts!.upload(artifactPlan, request.wheels))
    : [];
  return {
    releaseUrl: release.html_url,
    releaseCreated: created,
    assets: request.wheels.map((w) => results.get(w.name)!),
    listings,
    artifacts,
  };
}

/** Undoes what a failed run added (wheels new to the release, sidecars, a release left empty), so nothing half-done stays. */
async function rollBack(
  deps: PublishDeps,
  release: Release,
  created: boolean,
  added: Asset[],
  resync: () => Promise<unknown>,
): Promise<void> {
  const { transfers, log } = deps;
  try {
    for (const asset of added) await transfers.remove(asset);
    const left = await transfers.assets(release);
    if (created && left.length === 0) await deps.api.rest.repos.deleteRelease({ ...deps.repo, release_id: release.id });
    else if (added.length > 0) await resync();
    log.warning(
      `publishing failed; removed the ${added.length} asset(s) this run added${created && left.length === 0 ? ' and the release it created' : ''}`,
    );
  } catch (error) {
    log.warning(`publishing failed, and removing what this run added failed too: ${(error as Error).message}`);
  }
}
