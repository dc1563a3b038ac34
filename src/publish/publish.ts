import { createReadStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Log } from '../core/context';
import { stopOnSignal } from '../core/on-signal';
import { inputError } from '../core/errors';
import type { Usage } from '../github/client';
import { isAlreadyExists, isImmutableRefusal, isWorkflowsRefusal } from '../github/errors';
import {
  assetSha256,
  sha256Hex,
  textUpload,
  type Asset,
  type Release,
  type Releaser,
  type Upload,
} from '../github/releases';
import type { ArtifactResult, Artifacts } from './artifacts';
import { lastingUrl, syncListings, type OwnWheel } from './listings';
import { eachLimit } from './pool';
import { createDraft, workflowsRefusal, type ReleaseSpec } from './release';
import { formatSidecar, formatSize, sidecarName, type MissingWheel } from './views';
import { sha256File, type LocalWheel } from './wheels';

export type ConflictPolicy = 'overwrite' | 'skip' | 'fail';
/** `superseded`: this job published it, and another job replaced it with other bytes afterwards. */
export type AssetAction = 'create' | 'replace' | 'skip' | 'unchanged' | 'superseded';

export interface PublishRequest {
  wheels: LocalWheel[];
  release: ReleaseSpec;
  onConflict: ConflictPolicy;
  checksums: boolean;
  indexPage: boolean;
  dryRun: boolean;
  concurrency: number;
  /** Planned combinations without a wheel, listed in the release notes. */
  missing?: MissingWheel[];
}

export interface PublishDeps {
  releaser: Releaser;
  log: Log;
  secondMs: number;
  /** Workflow artifacts, when asked for and available. */
  artifacts?: Artifacts;
  /**
   * A cancelled job (SIGTERM): no upload starts after it, those in flight are abandoned, and what
   * this run added is taken back; once every wheel is up the release is completed instead.
   */
  signal?: AbortSignal;
}

/** The publish stopped on a signal, before its release was complete. */
export class PublishCancelled extends Error {
  override name = 'PublishCancelled';
}

const cancelled = (signal: AbortSignal | undefined, tag: string, what: string): PublishCancelled | undefined =>
  signal?.aborted ? new PublishCancelled(`publish to ${tag} cancelled (${String(signal.reason)}): ${what}`) : undefined;

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
  /** The release is published (false: a draft). */
  published: boolean;
  assets: AssetResult[];
  /** Listings this run rewrote. */
  listings: string[];
  artifacts: ArtifactResult[];
  /** Requests this run sent to GitHub, and the budget GitHub reported last. */
  usage: Usage;
}

interface Planned {
  wheel: LocalWheel;
  action: Exclude<AssetAction, 'superseded'> | 'conflict';
  existing?: Asset;
}

/** What to do with a wheel given the release's asset of that name, if any. */
async function decide(
  wheel: LocalWheel,
  existing: Asset | undefined,
  policy: ConflictPolicy,
  sha256: () => Promise<string>,
): Promise<Planned> {
  // A `starter` asset is an upload that failed (or has not finished): never a conflict.
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

/** Another job published the release while this one uploaded, on a repository with immutable releases. */
function publishedUnderUs(tag: string, error: unknown): Error {
  return new Error(
    `release ${tag} was published while this job was uploading, and this repository has immutable releases: ` +
      'a published release takes no more files. Publish from one job once every wheel is built (as workflows/release-wheels.yml does), ' +
      'or give every publishing job draft: true and publish the release by hand; the wheels missing now need a new tag',
    { cause: error },
  );
}

/**
 * Publishes the wheels to the release of the request's tag. Without a signal of the caller's,
 * SIGINT and SIGTERM (a cancelled job) stop it cleanly, and end the process once it has.
 */
export function publish(request: PublishRequest, deps: PublishDeps): Promise<PublishResult> {
  if (deps.signal) return publishRelease(request, deps);
  return stopOnSignal((signal) => publishRelease(request, { ...deps, signal }));
}

async function publishRelease(request: PublishRequest, deps: PublishDeps): Promise<PublishResult> {
  const { releaser, log } = deps;
  const { tag } = request.release;
  const hashes = new Map<string, Promise<string>>();
  const sha256Of = (wheel: LocalWheel) => () => {
    if (!hashes.has(wheel.path)) hashes.set(wheel.path, sha256File(wheel.path));
    return hashes.get(wheel.path)!;
  };
  const planFor = async (release: Release | undefined) => {
    const byName = new Map((release?.assets ?? []).map((a) => [a.name, a]));
    const planned = await Promise.all(
      request.wheels.map((w) => decide(w, byName.get(w.name), request.onConflict, sha256Of(w))),
    );
    refuseConflicts(planned, tag);
    return planned;
  };
  const outcome = (fields: Omit<PublishResult, 'usage'>): PublishResult => ({ ...fields, usage: releaser.usage });

  // Jobs of one matrix often finish together: a random pause of up to 3 s spreads them, so that
  // most find the draft one of them made instead of each making one and deleting it again.
  if (!request.dryRun) await sleep(Math.random() * 3 * deps.secondMs);
  // Everything that can refuse the run is checked before anything changes.
  const stopped = (what: string) => cancelled(deps.signal, tag, what);
  const existing = await releaser.find(tag);
  if (existing?.immutable) return immutableDone(request, existing, sha256Of, outcome, log);
  let planned = await planFor(existing);
  const artifactPlan = deps.artifacts ? await deps.artifacts.plan(request.wheels, request.onConflict) : [];

  if (request.dryRun) {
    if (!existing)
      log.info(
        `would create release ${tag} as a draft${request.release.target ? ` at ${request.release.target}` : ''}, upload, then ${request.release.draft ? 'leave it a draft' : 'publish it'}`,
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
    return outcome({
      releaseUrl: existing?.html_url ?? '',
      releaseCreated: !existing,
      published: existing ? !existing.draft : false,
      assets: planned.map((p) => ({
        name: p.wheel.name,
        action: p.action as AssetAction,
        size: p.wheel.size,
        url: p.existing?.browser_download_url,
      })),
      listings: [],
      artifacts: artifactPlan,
    });
  }

  const early = stopped(`nothing was changed; release ${tag} is as it was before the run`);
  if (early) throw early;
  const { release, created } = existing
    ? { release: existing, created: false }
    : await log.group(`Release ${tag}`, () => createDraft(releaser, request.release, log));
  if (!existing && !created) planned = await planFor(release); // another job made it: look again
  log.info(`${created ? 'created' : 'using'} release ${tag}${release.draft ? ' (draft)' : ''}: ${release.html_url}`);

  // The release as this job knows it: what it read, and what it added and removed since.
  const known = new Map(release.assets.map((a) => [a.id, a]));
  const texts = new Map<number, string>();
  const added: Asset[] = [];
  const results = new Map<string, AssetResult>();
  const own: OwnWheel[] = [];
  const put = async (item: Upload) => {
    const asset = await releaser.upload(release, { ...item, signal: deps.signal });
    known.set(asset.id, asset);
    return asset;
  };
  const remove = async (asset: Asset) => {
    await releaser.deleteAsset(asset);
    known.delete(asset.id);
  };

  const uploadWheel = async (p: Planned, sha256: string): Promise<Planned> => {
    if (p.existing) await remove(p.existing);
    try {
      const asset = await put({
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
      const now = (await releaser.get(release))?.assets.find((a) => a.name === p.wheel.name);
      if (now) known.set(now.id, now);
      const again = await decide(p.wheel, now, request.onConflict, async () => sha256);
      refuseConflicts([again], tag);
      return again.action === 'create' || again.action === 'replace' ? uploadWheel(again, sha256) : again;
    }
  };

  const writeSidecar = async (wheel: LocalWheel, sha256: string, isNew: boolean) => {
    const text = formatSidecar({ name: wheel.name, sha256, archs: wheel.archs });
    const current = [...known.values()].find((a) => a.name === sidecarName(wheel.name));
    if (current?.state === 'uploaded') {
      const digest = assetSha256(current);
      if (digest ? digest === sha256Hex(text) : (await releaser.download(current))?.toString() === text) return;
    }
    if (current) await remove(current);
    try {
      const sidecar = await put(textUpload(sidecarName(wheel.name), 'text/plain; charset=utf-8', text));
      texts.set(sidecar.id, text);
      if (isNew) added.push(sidecar);
    } catch (error) {
      // Another job wrote it at the same moment (the same wheel, or another build of it): the listings round settles it.
      if (!isAlreadyExists(error)) throw error;
    }
  };

  try {
    await log.group(`Upload ${planned.length} wheel(s) to ${tag}, ${request.concurrency} at a time`, () =>
      eachLimit(planned, request.concurrency, async (p) => {
        const stop = stopped('no upload started after it');
        if (stop) throw stop;
        const started = Date.now();
        let done = p;
        let sha256: string | undefined;
        if (p.action === 'create' || p.action === 'replace' || p.action === 'unchanged') {
          sha256 = await sha256Of(p.wheel)();
          if (p.action !== 'unchanged') done = await uploadWheel(p, sha256);
          if (done.action !== 'skip') own.push({ name: p.wheel.name, sha256, archs: p.wheel.archs });
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
          superseded: '',
        }[action];
        log.info(
          `${what}: ${p.wheel.name} (${formatSize(p.wheel.size)})${action === 'create' || action === 'replace' ? ` in ${((Date.now() - started) / 1000).toFixed(1)} s` : ''}`,
        );
      }),
    );
  } catch (error) {
    const left = await rollBack(
      deps,
      release,
      created,
      added,
      request.wheels.map((w) => w.name),
    );
    const stop = stopped(left);
    if (stop) throw stop;
    if (isImmutableRefusal(error)) throw publishedUnderUs(tag, error);
    throw error;
  }
  if (deps.signal?.aborted)
    log.warning(`cancelled (${String(deps.signal.reason)}) after every wheel was uploaded: completing release ${tag}`);

  let listed: Awaited<ReturnType<typeof syncListings>>;
  try {
    listed = await log.group('Release listings', () =>
      syncListings(
        {
          releaser,
          log,
          secondMs: deps.secondMs,
          concurrency: request.concurrency,
          texts,
          own,
          missing: request.missing ?? [],
        },
        { ...release, assets: [...known.values()] },
        {
          checksums: request.checksums,
          indexPage: request.indexPage,
          publish: !request.release.draft,
          // Another job may be publishing to the same release: it had assets this job did not put there, or another job made it.
          settle: (!created && !existing) || (existing !== undefined && existing.assets.length > 0),
        },
      ),
    );
  } catch (error) {
    if (isWorkflowsRefusal(error)) {
      throw workflowsRefusal(tag, request.release.target, error, release.html_url);
    }
    if (isImmutableRefusal(error)) throw publishedUnderUs(tag, error);
    throw error;
  }

  // What the release holds now under each wheel name this job published.
  for (const result of results.values()) {
    const asset = listed.release.assets.find((a) => a.name === result.name && a.state === 'uploaded');
    if (asset) result.url = lastingUrl(asset, tag);
    const digest = asset && assetSha256(asset);
    if (result.action === 'skip' || !digest || digest === result.sha256) continue;
    log.warning(
      `${result.name}: another job replaced it after this one published it; the release holds the file with sha256 ${digest}`,
    );
    result.action = 'superseded';
  }
  const artifacts = deps.artifacts
    ? await log.group('Workflow artifacts', () => deps.artifacts!.upload(artifactPlan, request.wheels))
    : [];
  return outcome({
    releaseUrl: listed.release.html_url,
    releaseCreated: created,
    published: !listed.release.draft,
    assets: request.wheels.map((w) => results.get(w.name)!),
    listings: listed.changed,
    artifacts,
  });
}

/** An immutable release: done when it holds every wheel as it is here; refused before any upload when not. */
async function immutableDone(
  request: PublishRequest,
  release: Release,
  sha256Of: (wheel: LocalWheel) => () => Promise<string>,
  outcome: (fields: Omit<PublishResult, 'usage'>) => PublishResult,
  log: Log,
): Promise<PublishResult> {
  const assets: AssetResult[] = [];
  const lacking: string[] = [];
  for (const wheel of request.wheels) {
    const asset = release.assets.find((a) => a.name === wheel.name && a.state === 'uploaded');
    const sha256 = await sha256Of(wheel)();
    if (asset && assetSha256(asset) === sha256)
      assets.push({ name: wheel.name, action: 'unchanged', size: wheel.size, sha256, url: asset.browser_download_url });
    else lacking.push(`${wheel.name}${asset ? ' (it holds a different file of that name)' : ''}`);
  }
  if (lacking.length > 0) {
    throw inputError(
      'tag',
      `release ${request.release.tag} is immutable (published on a repository with immutable releases) and lacks ${lacking.join(', ')}`,
      'Its files can never change: publish these wheels under a new tag',
    );
  }
  log.info(`release ${request.release.tag} is immutable and already holds every wheel: nothing to do`);
  return outcome({
    releaseUrl: release.html_url,
    releaseCreated: false,
    published: true,
    assets,
    listings: [],
    artifacts: [],
  });
}

/**
 * Undoes what a failed or cancelled run added (wheels new to the release, their sidecars, the
 * `starter`s of its abandoned uploads), and deletes the draft it created when nothing else is on
 * it. A published release is never deleted. Returns what it left, for the log and the error.
 */
async function rollBack(
  deps: PublishDeps,
  release: Release,
  created: boolean,
  added: Asset[],
  names: string[],
): Promise<string> {
  const { releaser, log } = deps;
  const why = deps.signal?.aborted ? `cancelled (${String(deps.signal.reason)})` : 'publishing failed';
  try {
    for (const asset of added) await releaser.deleteAsset(asset);
    const now = await releaser.get(release);
    // A `starter` of one of this run's names is an upload it abandoned (or, rarely, another job's
    // of the same wheel, which that job's retry puts back): no file, so it goes.
    const ours = new Set(names.flatMap((name) => [name, sidecarName(name)]));
    const starters = (now?.assets ?? []).filter((a) => a.state !== 'uploaded' && ours.has(a.name));
    for (const asset of starters) await releaser.deleteAsset(asset);
    const rest = (now?.assets ?? []).filter((a) => !starters.includes(a));
    const deleted = created && now !== undefined && rest.length === 0 && (await releaser.deleteDraft(release));
    const left = deleted
      ? `removed the draft release ${release.tag_name} it created: no release of that tag is left by this run`
      : created
        ? `removed the ${added.length} asset(s) this run added; the draft release it created stays, holding ${rest.length} asset(s) of other jobs`
        : `removed the ${added.length} asset(s) this run added; release ${release.tag_name} is as it was before the run`;
    log.warning(`${why}; ${left}`);
    return left;
  } catch (error) {
    const left = `removing what this run added failed too (${(error as Error).message}): the next run completes the release`;
    log.warning(`${why}, and ${left}`);
    return left;
  }
}
