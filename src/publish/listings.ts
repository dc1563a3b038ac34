import { setTimeout as sleep } from 'node:timers/promises';
import type { Log } from '../core/context';
import type { GitHubClient, Repo } from '../github/client';
import { eachLimit } from './pool';
import type { Asset, Release } from './release';
import { httpStatus, isAlreadyExists, textUpload, type Transfers } from './transfer';
import {
  INDEX_NAME,
  indexPage,
  mergeNotes,
  notesSection,
  parseSidecar,
  sha256Sums,
  sidecarName,
  SUMS_NAME,
  type ReleasedWheel,
} from './views';

const MAX_ROUNDS = 8;

export interface ListingsContext {
  api: GitHubClient;
  transfers: Transfers;
  repo: Repo;
  log: Log;
  /** Milliseconds per second of waiting between rounds (tests shrink it). */
  secondMs: number;
  concurrency: number;
  /** Text of small assets by id; asset ids are never reused, so an entry never goes stale. */
  texts: Map<number, string>;
}

const uploaded = (asset: Asset): boolean => asset.state === 'uploaded';

/** The text of a small asset, or undefined when another job deleted it since the listing. */
async function assetText(c: ListingsContext, asset: Asset): Promise<string | undefined> {
  if (!c.texts.has(asset.id)) {
    try {
      c.texts.set(asset.id, (await c.transfers.download(asset)).toString('utf8'));
    } catch (error) {
      if (httpStatus(error) !== 404) throw error;
    }
  }
  return c.texts.get(asset.id);
}

/** Every finished wheel of the release, with its digest (GitHub's, else its sidecar's) and archs. */
async function releasedWheels(c: ListingsContext, release: Release, assets: Asset[]): Promise<ReleasedWheel[]> {
  const byName = new Map(assets.filter(uploaded).map((a) => [a.name, a]));
  const wheels = assets
    .filter((a) => uploaded(a) && a.name.endsWith('.whl'))
    .sort((a, b) => a.name.localeCompare(b.name));
  const sidecars = new Map<string, ReturnType<typeof parseSidecar>>();
  await eachLimit(wheels, c.concurrency, async (wheel) => {
    const sidecar = byName.get(sidecarName(wheel.name));
    const text = sidecar && (await assetText(c, sidecar));
    if (text) sidecars.set(wheel.name, parseSidecar(text));
  });
  return wheels.map((asset) => {
    const sidecar = sidecars.get(asset.name);
    const digest = asset.digest?.startsWith('sha256:') ? asset.digest.slice('sha256:'.length) : undefined;
    // A draft's download URLs carry a placeholder for the tag until it is published; list the lasting ones.
    const url = asset.browser_download_url.replace(
      /\/releases\/download\/[^/]+\//,
      `/releases/download/${encodeURIComponent(release.tag_name)}/`,
    );
    return { name: asset.name, size: asset.size, url, sha256: digest ?? sidecar?.sha256, archs: sidecar?.archs ?? [] };
  });
}

/** Replaces a small text asset; one that another job wrote first is left for the next round to judge. */
async function writeText(
  c: ListingsContext,
  release: Release,
  name: string,
  contentType: string,
  text: string,
  current?: Asset,
): Promise<void> {
  if (current) await c.transfers.remove(current);
  if (text === '') return;
  try {
    const asset = await c.transfers.upload(release, textUpload(name, contentType, text));
    c.texts.set(asset.id, text);
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
  }
}

/**
 * Rebuilds SHA256SUMS, index.html and the release notes' wheel table from the release's assets
 * until a whole round finds them current. Several jobs may do this at once: each listing is a
 * function of the asset list alone, so once the last job's uploads are in, every job computes
 * the same content, and the last job to stop has just seen it stored.
 */
/** Returns what this job rewrote (SHA256SUMS, index.html, release notes). */
export async function syncListings(
  c: ListingsContext,
  release: Release,
  options: { checksums: boolean; indexPage: boolean },
): Promise<string[]> {
  const changed = new Set<string>();
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const assets = await c.transfers.assets(release);
    const wheels = await releasedWheels(c, release, assets);
    const missing = wheels.filter((w) => !w.sha256).map((w) => w.name);
    if (missing.length > 0 && round === 1)
      c.log.info(`no sha256 known yet for ${missing.join(', ')} (no digest and no .sha256 asset)`);

    const files = [
      ...(options.checksums ? [{ name: SUMS_NAME, type: 'text/plain; charset=utf-8', text: sha256Sums(wheels) }] : []),
      ...(options.indexPage
        ? [{ name: INDEX_NAME, type: 'text/html; charset=utf-8', text: indexPage(release.tag_name, wheels) }]
        : []),
    ];
    let wrote = false;
    for (const file of files) {
      const current = assets.find((a) => a.name === file.name);
      const currentText = current && uploaded(current) ? await assetText(c, current) : undefined;
      if (currentText === file.text || (!current && file.text === '')) continue;
      await writeText(c, release, file.name, file.type, file.text, current);
      changed.add(file.name);
      wrote = true;
    }

    const { data } = await c.api.rest.repos.getRelease({ ...c.repo, release_id: release.id });
    const body = mergeNotes(data.body ?? '', notesSection(wheels, `${c.repo.owner}/${c.repo.repo}`));
    if (body !== (data.body ?? '')) {
      await c.api.rest.repos.updateRelease({ ...c.repo, release_id: release.id, body });
      changed.add('release notes');
      wrote = true;
    }
    if (!wrote) return [...changed];
    // Give racing jobs' writes time to land; the jitter keeps two jobs from taking turns forever.
    await sleep((0.5 + Math.random()) * c.secondMs);
  }
  c.log.warning(
    `the release listings were still changing after ${MAX_ROUNDS} rounds; the job publishing last brings them up to date`,
  );
  return [...changed];
}
