import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Log } from '../core/context';
import { cancelSignal } from '../core/on-signal';
import { inputError } from '../core/errors';
import type { AssetAction, AssetResult, ConflictPolicy } from '../publish/publish';
import { formatSize, sha256Sums, SUMS_NAME, type ReleasedWheel } from '../publish/views';
import { sha256File, type LocalWheel } from '../publish/wheels';
import { archsFromCard, CARD_NAME, modelCard, repoUrl, resolveUrl } from './card';
import type { HubClient, HubFile, HubUpload } from './client';
import type { HubTarget } from './target';

/** Commits tried before giving up while other jobs keep moving the branch. */
const MAX_TRIES = 12;

export interface HubPublishRequest {
  wheels: LocalWheel[];
  target: Omit<HubTarget, 'token'>;
  onConflict: ConflictPolicy;
  checksums: boolean;
  dryRun: boolean;
}

export interface HubPublishDeps {
  hub: HubClient;
  log: Log;
  /** Milliseconds per second of waiting between tries (tests shrink it). */
  secondMs: number;
}

export interface HubPublishResult {
  repoUrl: string;
  /** This run created the repository (or, in a dry run, would). */
  repoCreated: boolean;
  branchCreated: boolean;
  /** The commit this run made; undefined when everything was already there (or in a dry run). */
  commit?: { oid: string; url: string };
  assets: AssetResult[];
  /** Listings this run rewrote (SHA256SUMS, README.md). */
  listings: string[];
}

interface Decision {
  wheel: LocalWheel;
  path: string;
  action: AssetAction | 'conflict';
  existing?: HubFile;
}

interface Plan {
  decisions: Decision[];
  uploads: HubUpload[];
  listings: string[];
}

/** The id git gives a blob: how the Hub names a file it keeps in git rather than LFS. */
const gitBlobOid = (data: Buffer): string =>
  createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');

/** Whether the Hub's file is this wheel: by sha256 for LFS files, by git blob id for the rare one kept in git. */
async function sameFile(file: HubFile, wheel: LocalWheel, sha256: string): Promise<boolean> {
  if (file.sha256) return file.sha256 === sha256;
  return file.size === wheel.size && file.gitOid === gitBlobOid(await readFile(wheel.path));
}

/**
 * Publishes the wheels to a Hub repository's branch in one commit, with SHA256SUMS next to them
 * and the model card's wheel table. The commit names the head it was planned on as its parent:
 * when another job committed first, the Hub refuses it (412) and the plan, the checksums and the
 * card are made again from the new head. The wheels' bytes go up once; the Hub keeps them by
 * sha256, so a later try only names them.
 */
export async function publishToHub(request: HubPublishRequest, deps: HubPublishDeps): Promise<HubPublishResult> {
  const { hub, log } = deps;
  const { repo, revision, folder, endpoint } = request.target;
  const pathOf = (name: string) => (folder ? `${folder}/${name}` : name);
  const urlOf = (name: string) => resolveUrl(endpoint, repo, revision, pathOf(name));
  const hashes = new Map<string, Promise<string>>();
  const sha256Of = (wheel: LocalWheel) => {
    if (!hashes.has(wheel.path)) hashes.set(wheel.path, sha256File(wheel.path));
    return hashes.get(wheel.path)!;
  };

  const plan = async (base: string | undefined): Promise<Plan> => {
    // The whole tree: the card lists the wheels of every folder, whichever folder this job writes.
    const files = base ? await hub.files(repo, base, '') : [];
    const card = base ? await hub.text(repo, base, CARD_NAME) : undefined;
    const byPath = new Map(files.map((f) => [f.path, f]));
    const decisions: Decision[] = [];
    for (const wheel of request.wheels) {
      const path = pathOf(wheel.name);
      const existing = byPath.get(path);
      let action: Decision['action'] = 'create';
      if (existing) {
        if (await sameFile(existing, wheel, await sha256Of(wheel))) action = 'unchanged';
        else
          action = { overwrite: 'replace', skip: 'skip', fail: 'conflict' }[request.onConflict] as Decision['action'];
      }
      decisions.push({ wheel, path, action, existing });
    }
    const conflicts = decisions.filter((d) => d.action === 'conflict').map((d) => d.path);
    if (conflicts.length > 0) {
      throw inputError(
        'on-conflict',
        `fail, and ${repo.name}@${revision} already has a different ${conflicts.join(', ')}`,
        'Use overwrite to replace them or skip to keep them',
      );
    }

    // The repository's wheels once this commit lands, by path: what is there, with this job's on top.
    const cardArchs = archsFromCard(card);
    const listed = new Map<string, ReleasedWheel>();
    for (const file of files) {
      if (!file.path.endsWith('.whl')) continue;
      const url = resolveUrl(endpoint, repo, revision, file.path);
      const name = file.path.slice(file.path.lastIndexOf('/') + 1);
      listed.set(file.path, { name, size: file.size, url, sha256: file.sha256, archs: cardArchs.get(url) ?? [] });
    }
    for (const d of decisions) {
      if (d.action === 'skip') continue;
      const url = urlOf(d.wheel.name);
      const archs = d.wheel.archs.length > 0 ? d.wheel.archs : (cardArchs.get(url) ?? []);
      const sha256 = await sha256Of(d.wheel);
      listed.set(d.path, { name: d.wheel.name, size: d.wheel.size, url, sha256, archs });
    }
    const sorted = [...listed.entries()].sort(([a], [b]) => a.localeCompare(b));
    const all = sorted.map(([, wheel]) => wheel);
    const here = sorted.filter(([path]) => path === pathOf(path.slice(path.lastIndexOf('/') + 1))).map(([, w]) => w);

    const uploads: HubUpload[] = decisions
      .filter((d) => d.action === 'create' || d.action === 'replace')
      .map((d) => ({ path: d.path, file: d.wheel.path }));
    const listings: string[] = [];
    if (request.checksums) {
      const sums = sha256Sums(here);
      const current = byPath.get(pathOf(SUMS_NAME));
      if (current?.gitOid !== gitBlobOid(Buffer.from(sums)) && !(current === undefined && sums === '')) {
        uploads.push({ path: pathOf(SUMS_NAME), text: sums });
        listings.push(pathOf(SUMS_NAME));
      }
    }
    const newCard = modelCard(card, repo, all);
    if (newCard !== card) {
      uploads.push({ path: CARD_NAME, text: newCard });
      listings.push(CARD_NAME);
    }
    return { decisions, uploads, listings };
  };

  // Everything that can refuse the run (the token, a conflict) is checked before anything changes.
  const repoExists = await hub.repoExists(repo);
  let head = repoExists ? await hub.head(repo, revision) : undefined;
  // A new branch starts from the default branch (HEAD), so that is what its plan is made on.
  const base = head ?? (repoExists ? await hub.head(repo, 'HEAD') : undefined);
  let current = await plan(base);

  const known = new Map<string, string>();
  for (const wheel of request.wheels) known.set(wheel.path, await sha256Of(wheel));
  const results = (p: Plan, first?: Plan): AssetResult[] =>
    p.decisions.map((d, i) => {
      // A wheel this run sent in an earlier try, and now found in place, counts as sent (the answer may have been lost).
      const earlier = first?.decisions[i]?.action;
      const action =
        d.action === 'unchanged' && (earlier === 'create' || earlier === 'replace')
          ? earlier
          : (d.action as AssetAction);
      return {
        name: d.wheel.name,
        action,
        size: d.wheel.size,
        sha256: known.get(d.wheel.path),
        url: urlOf(d.wheel.name),
      };
    });

  const url = repoUrl(endpoint, repo, revision);
  if (request.dryRun) {
    if (!repoExists) log.info(`would create ${repo.type} repository ${repo.name} on ${endpoint}`);
    if (!head) log.info(`would create branch ${revision} from the default branch`);
    for (const d of current.decisions)
      log.info(
        `${d.action === 'unchanged' ? 'unchanged' : `would ${d.action}`}: ${d.path} (${formatSize(d.wheel.size)})`,
      );
    log.info(
      current.listings.length > 0
        ? `would rewrite ${current.listings.join(', ')}`
        : 'SHA256SUMS and README.md are current',
    );
    return { repoUrl: url, repoCreated: !repoExists, branchCreated: !head, assets: results(current), listings: [] };
  }

  const repoCreated = !repoExists && (await hub.createRepo(repo));
  if (repoCreated) log.info(`created ${repo.type} repository ${repo.name}`);
  let branchCreated = false;
  if (!head) {
    head = await hub.head(repo, revision);
    if (!head) {
      branchCreated = await hub.createBranch(repo, revision);
      if (branchCreated) log.info(`created branch ${revision} from the default branch`);
      head = await hub.head(repo, revision);
    }
    if (!head) throw new Error(`branch ${revision} of ${repo.name} cannot be found after creating it`);
    current = await plan(head);
  }

  const first = current;
  const title = `Publish ${request.wheels.length} wheel(s) with sagewheels`;
  let landed: { oid: string; url: string } | undefined;
  for (let attempt = 1; ; attempt++) {
    if (current.uploads.length === 0) break;
    const committed = await log.group(
      `Commit ${current.uploads.length} file(s) to ${repo.name}@${revision} on ${head!.slice(0, 12)}`,
      () => hub.commit(repo, { branch: revision, parent: head!, title, uploads: current.uploads }),
    );
    if (committed !== 'stale') {
      landed = committed;
      break;
    }
    if (attempt >= MAX_TRIES)
      throw new Error(`${repo.name}@${revision} kept moving: ${MAX_TRIES} commits were refused as stale`);
    log.info(
      `${revision} moved on since ${head!.slice(0, 12)} (another commit landed); planning again on the new head`,
    );
    // The jitter keeps racing jobs from meeting again at the same head.
    await sleep((0.25 + Math.random()) * deps.secondMs, undefined, { signal: cancelSignal });
    head = await hub.head(repo, revision);
    if (!head) throw new Error(`branch ${revision} of ${repo.name} disappeared while publishing`);
    current = await plan(head);
  }

  const assets = results(current, first);
  for (const asset of assets) {
    const what = {
      create: 'created',
      replace: 'replaced',
      unchanged: 'unchanged (identical file already published)',
      skip: 'skipped (a different file of that name is published; on-conflict: skip)',
      superseded: 'replaced by another job afterwards',
    }[asset.action];
    log.info(`${what}: ${pathOf(asset.name)} (${formatSize(asset.size)})`);
  }
  if (landed) log.info(`committed ${landed.url}`);
  return {
    repoUrl: url,
    repoCreated,
    branchCreated,
    commit: landed,
    assets,
    listings: landed ? current.listings : [],
  };
}
