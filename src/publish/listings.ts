import { setTimeout as sleep } from 'node:timers/promises';
import type { Log } from '../core/context';
import { isAlreadyExists } from '../github/errors';
import { assetSha256, sha256Hex, textUpload, type Asset, type Release, type Releaser } from '../github/releases';
import { eachLimit } from './pool';
import {
  formatSidecar,
  INDEX_NAME,
  indexPage,
  mergeNotes,
  notesArchs,
  notesSection,
  parseSidecar,
  sha256Sums,
  sidecarName,
  SUMS_NAME,
  type MissingWheel,
  type ReleasedWheel,
} from './views';

const MAX_ROUNDS = 8;

/** A wheel this job published (or found there, identical): its sidecar is this job's to keep right. */
export interface OwnWheel {
  name: string;
  sha256: string;
  archs: string[];
}

export interface ListingsContext {
  releaser: Releaser;
  log: Log;
  /** Milliseconds per second of waiting between rounds (tests shrink it). */
  secondMs: number;
  concurrency: number;
  /** Text of small assets by id; asset ids are never reused, so an entry never goes stale. */
  texts: Map<number, string>;
  own: OwnWheel[];
  missing: MissingWheel[];
}

export interface ListingsOptions {
  checksums: boolean;
  indexPage: boolean;
  /** Publish the release (draft: false) once the listings are written. */
  publish: boolean;
  /** Pause and read the release again first, rather than start from what this job knows. */
  settle?: boolean;
}

const uploaded = (asset: Asset): boolean => asset.state === 'uploaded';
const isWheel = (asset: Asset): boolean => uploaded(asset) && asset.name.endsWith('.whl');

/** The text of a small asset, or undefined when another job deleted it meanwhile. */
async function assetText(c: ListingsContext, asset: Asset): Promise<string | undefined> {
  if (!c.texts.has(asset.id)) {
    const data = await c.releaser.download(asset);
    if (data) c.texts.set(asset.id, data.toString('utf8'));
  }
  return c.texts.get(asset.id);
}

/** Whether the asset holds exactly `text`: by GitHub's digest, downloading only where there is none. */
async function holds(c: ListingsContext, asset: Asset, text: string): Promise<boolean> {
  const digest = assetSha256(asset);
  return digest ? digest === sha256Hex(text) : (await assetText(c, asset)) === text;
}

/**
 * Every finished wheel of the release with its sha256 and archs. The sha256 is GitHub's digest,
 * the archs come from this job's wheels, the notes (by sha256), or the sidecar's digest matched
 * against the archs lists known; a sidecar is downloaded only for a wheel none of these tells,
 * so a job costs requests for its own wheels, not for everyone's.
 */
async function releasedWheels(c: ListingsContext, release: Release): Promise<ReleasedWheel[]> {
  const byName = new Map(release.assets.filter(uploaded).map((a) => [a.name, a]));
  const noted = notesArchs(release.body ?? '');
  const wheels = release.assets.filter(isWheel).sort((a, b) => a.name.localeCompare(b.name));
  const listed = new Map<string, ReleasedWheel>();
  // Archs lists seen so far: a matrix has few, and a sidecar's digest tells which one it holds.
  const lists = [[], ...c.own.map((o) => o.archs), ...noted.values()];
  const guess = (name: string, sha256: string, sidecar: Asset) =>
    lists.find((archs) => assetSha256(sidecar) === sha256Hex(formatSidecar({ name, sha256, archs })));
  await eachLimit(wheels, c.concurrency, async (asset) => {
    let sha256 = assetSha256(asset);
    let archs = sha256 ? (c.own.find((o) => o.sha256 === sha256)?.archs ?? noted.get(sha256)) : undefined;
    const sidecar = byName.get(sidecarName(asset.name));
    if (sha256 && !archs && sidecar) archs = guess(asset.name, sha256, sidecar);
    if ((!sha256 || !archs) && sidecar) {
      const text = await assetText(c, sidecar);
      const told = text === undefined ? undefined : parseSidecar(text);
      sha256 ??= told?.sha256;
      if (told?.sha256 === sha256) archs ??= told?.archs;
    }
    const url = lastingUrl(asset, release.tag_name);
    listed.set(asset.name, { id: asset.id, name: asset.name, size: asset.size, url, sha256, archs: archs ?? [] });
  });
  return wheels.map((w) => listed.get(w.name)!);
}

/** A draft's download URLs carry a placeholder for the tag until it is published: the lasting one. */
export const lastingUrl = (asset: Pick<Asset, 'browser_download_url'>, tag: string): string =>
  asset.browser_download_url.replace(/\/releases\/download\/[^/]+\//, `/releases/download/${encodeURIComponent(tag)}/`);

/** Replaces a small text asset; 'conflict' when another job wrote one of that name first. */
async function writeText(
  c: ListingsContext,
  release: Release,
  name: string,
  text: string,
  current: Asset | undefined,
): Promise<number | 'conflict' | undefined> {
  if (current) await c.releaser.deleteAsset(current);
  if (text === '') return undefined;
  const type = name === INDEX_NAME ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8';
  try {
    const asset = await c.releaser.upload(release, textUpload(name, type, text));
    c.texts.set(asset.id, text);
    return asset.id;
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
    return 'conflict';
  }
}

/**
 * Keeps this job's sidecars naming the bytes the release holds under each of its wheel names.
 * Another job may have replaced a wheel (on-conflict: overwrite) or written its sidecar for
 * other bytes; a sidecar that names the right sha256 is left alone, whoever wrote it.
 */
async function fixSidecars(c: ListingsContext, release: Release, wheels: ReleasedWheel[]): Promise<boolean> {
  const byName = new Map(release.assets.filter(uploaded).map((a) => [a.name, a]));
  let conflict = false;
  for (const own of c.own) {
    const wheel = wheels.find((w) => w.name === own.name);
    if (!wheel?.sha256) continue;
    const name = sidecarName(own.name);
    const current = byName.get(name);
    const text = formatSidecar({ name: own.name, sha256: wheel.sha256, archs: wheel.archs });
    if (current && (await holds(c, current, text))) continue;
    if (!current && wheel.sha256 !== own.sha256) continue; // another job's bytes: its sidecar is its to write
    const currentText = current && (await assetText(c, current));
    if (currentText !== undefined && parseSidecar(currentText).sha256 === wheel.sha256) continue;
    if ((await writeText(c, release, name, text, current)) === 'conflict') conflict = true;
  }
  return conflict;
}

/** The release's finished wheels, by id: a replaced wheel gets a new one. */
const wheelIds = (release: Release): string =>
  release.assets
    .filter(isWheel)
    .map((a) => a.id)
    .sort((a, b) => a - b)
    .join(',');

/**
 * Rebuilds SHA256SUMS, index.html and the release notes' wheel section from the release's
 * assets, writing only what differs, then publishes the release if asked. Several jobs may do
 * this at once, and each listing is a function of the asset list alone:
 *   - a text asset is replaced by deleting the id this job read and uploading; when another job
 *     wrote first, GitHub answers 422 already_exists, and this job reads the release again;
 *   - the notes have no such guard, so a job that rewrites them also replaces the first listing
 *     file, and GitHub's answer to the notes' update tells whether that file is still the one
 *     this job wrote: when not, another job wrote meanwhile, and this one reads again.
 * A wheel uploaded after this job read the release is listed by the job that uploaded it, which
 * reads the release only after its upload; so a job stops once a round meets no other's write.
 */
export async function syncListings(
  c: ListingsContext,
  known: Release,
  options: ListingsOptions,
): Promise<{ changed: string[]; release: Release }> {
  const changed = new Set<string>();
  // Jobs of a matrix often finish together: a short random pause lets their uploads land, and
  // one read then often finds listings another job already wrote with this job's wheels in them.
  let release = known;
  if (options.settle) {
    await sleep(Math.random() * 4 * c.secondMs);
    release = (await c.releaser.get(release)) ?? release;
  }
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const wheels = await releasedWheels(c, release);
    const unknown = wheels.filter((w) => !w.sha256).map((w) => w.name);
    if (unknown.length > 0 && round === 1)
      c.log.info(`no sha256 known yet for ${unknown.join(', ')} (no digest and no .sha256 asset)`);
    let conflict = options.checksums && (await fixSidecars(c, release, wheels));

    const files = [
      ...(options.checksums ? [{ name: SUMS_NAME, text: sha256Sums(wheels) }] : []),
      ...(options.indexPage ? [{ name: INDEX_NAME, text: indexPage(release.tag_name, wheels) }] : []),
    ];
    const body = mergeNotes(release.body ?? '', notesSection(wheels, c.missing, c.releaser.repository));
    const rewrite = body !== (release.body ?? '');
    // The first listing file is the token of a write: every job that writes the listings replaces
    // it (by id), so a job learns from GitHub's answers whether another wrote at the same time.
    let token: number | undefined;
    for (const [index, file] of files.entries()) {
      const current = release.assets.find((a) => a.name === file.name);
      const held = current ? uploaded(current) && (await holds(c, current, file.text)) : file.text === '';
      if (held && !(index === 0 && rewrite)) continue;
      const written = await writeText(c, release, file.name, file.text, current);
      if (written === 'conflict') conflict = true;
      else if (index === 0) token = written;
      if (!held) changed.add(file.name);
    }

    const publish = options.publish && release.draft && !conflict;
    if (!conflict && (rewrite || publish)) {
      const before = wheels
        .map((w) => w.id!)
        .sort((a, b) => a - b)
        .join(',');
      release = await c.releaser.update(release, {
        ...(rewrite ? { body } : {}),
        ...(publish ? { draft: false } : {}),
      });
      if (rewrite) changed.add('release notes');
      if (publish) c.log.info(`published release ${release.tag_name}: ${release.html_url}`);
      // GitHub's answer lists the assets as they are now. With a token: when it is still the one
      // this job wrote, no other job wrote in between, and these notes are the newest. Without
      // one: when the release holds no wheel these notes lack.
      const current = files[0] && release.assets.find((a) => a.name === files[0]!.name);
      if (
        !rewrite ||
        (files[0]
          ? current?.id === token || (token === undefined && current !== undefined)
          : wheelIds(release) === before)
      )
        break;
    } else if (!conflict) {
      break;
    }
    if (release.immutable) {
      c.log.warning(
        `release ${release.tag_name} became immutable while its listings were still changing; they may miss wheels published at the same time`,
      );
      break;
    }
    if (round === MAX_ROUNDS) {
      c.log.warning(
        `the release listings were still changing after ${MAX_ROUNDS} rounds; the job publishing last brings them up to date`,
      );
      break;
    }
    // Give racing jobs' writes time to land (the jitter keeps two jobs from taking turns forever),
    // then read what they made of it: often a listing that already holds every wheel.
    const seconds = (0.5 + Math.random()) * 2 ** Math.min(round, 4);
    c.log.info(
      `another job wrote the listings at the same time; reading them again in ${seconds.toFixed(1)} s (round ${round + 1})`,
    );
    await sleep(seconds * c.secondMs);
    release = (await c.releaser.get(release)) ?? release;
  }
  return { changed: [...changed], release };
}
