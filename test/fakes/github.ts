import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A loopback stand-in for GitHub's REST release API, following the documented behaviour:
 * releases by tag (drafts are not found by tag, and several drafts may share a tag), 422
 * already_exists on a duplicate published tag or asset name, paginated lists with Link headers,
 * release objects that list every asset, uploads to the release's upload_url (Content-Length
 * checked, an unencoded "+" renamed as GitHub does, a sha256 `digest` reported), downloads
 * through a redirect to another origin (an object store that refuses an Authorization header)
 * served as application/octet-stream. Today's rules: immutable releases (once published, no
 * asset can be added or deleted, and a deleted one's tag cannot be used again), a budget of
 * requests per hour per token with its x-ratelimit headers (GITHUB_TOKEN's 1,000 by default),
 * and the refusal of a tag on a commit that changes .github/workflows/. GitHub's faults are
 * injected with `fault` and the helpers below it: a 502 or a connection reset during an upload
 * that leaves a `starter` asset, an upload held open, 403 secondary rate limits with Retry-After, and 429s.
 */

export interface FakeAsset {
  id: number;
  name: string;
  label: string;
  content_type: string;
  size: number;
  state: 'uploaded' | 'starter';
  /** The bytes, unless the fake was told to keep only the digest of large uploads. */
  data: Buffer;
  sha256: string;
}

export interface FakeRelease {
  id: number;
  tag_name: string;
  name: string;
  body: string;
  draft: boolean;
  prerelease: boolean;
  target_commitish: string;
  /** Published on a repository with immutable releases. */
  immutable: boolean;
  assets: FakeAsset[];
}

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Buffer;
  /** When it arrived (Date.now()). */
  at: number;
}

/** Handles the request itself (a fault) by returning true; `next` lets it run the real route first. */
export type Fault = (req: FakeRequest, res: ServerResponse, next: () => Promise<void>) => boolean | Promise<boolean>;

export interface FakeGitHubOptions {
  /** Report `digest: "sha256:..."` on assets, as github.com does; GitHub Enterprise Server may not. Default true. */
  digests?: boolean;
  /** Uploads larger than this keep only their size and digest (benchmarks upload gigabytes). */
  keepBytesUpTo?: number;
  /** A model of a remote server for benchmarks: each upload connection is read at most this fast. */
  uploadBytesPerSecond?: number;
  /** Delay before each request is handled, in ms (a function gives jitter, for races). */
  latencyMs?: number | (() => number);
  /** The largest page a list returns, whatever per_page asks (GitHub's is 100); small values force pagination. */
  maxPerPage?: number;
  /** Requests per hour of each token (GITHUB_TOKEN: 1,000 per repository). */
  rateLimit?: number;
  /** The repository setting: a release becomes immutable when it is published. */
  immutableReleases?: boolean;
}

/** An HTTP server on a free loopback port; a handler that throws drops its connection. */
export async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    req.on('error', () => undefined); // a client that resets mid-body is a fault under test, not a crash
    handler(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

export async function close(server: Server | undefined): Promise<void> {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => server?.close(() => resolve()) ?? resolve());
}

/** What the token GitHub gives a workflow may not do: create a tag on a commit that changes workflows. */
const WORKFLOWS_REFUSAL = {
  status: 403,
  headers: { 'x-accepted-github-permissions': 'contents=write; contents=write,workflows=write' },
  body: {
    message: 'Resource not accessible by integration',
    documentation_url: 'https://docs.github.com/rest/releases/releases#create-a-release',
    status: '403',
  },
};

interface Budget {
  limit: number;
  remaining: number;
  reset: number;
}

const SECONDARY_LIMIT =
  'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. ' +
  'If you reach out to GitHub Support for help, please include the request ID.';

export class FakeGitHub {
  readonly releases: FakeRelease[] = [];
  readonly requests: FakeRequest[] = [];
  readonly faults: Fault[] = [];
  /** The budget of each token that has made a request. */
  readonly budgets = new Map<string, Budget>();
  /** Tags that exist in the repository; publishing a release creates its tag. */
  readonly tags = new Set<string>();
  /** Commits whose tree changes .github/workflows/ against the default branch. */
  readonly workflowCommits = new Set<string>();
  /** Tags of deleted immutable releases: GitHub never lets a new release use them. */
  readonly burntTags = new Set<string>();
  /** Uploads holdUploads has held open (those given up since included). */
  held = 0;
  private uploadResets = 0;
  private nextId = 1;
  private server?: Server;
  private store?: Server;
  url = '';
  /** The object store that downloads are redirected to: another origin. */
  storeUrl = '';

  constructor(
    readonly token = 'ghs_faketoken0123456789',
    readonly pageSize = 30,
    readonly options: FakeGitHubOptions = {},
  ) {}

  async start(): Promise<this> {
    ({ server: this.server, url: this.url } = await listen((req, res) => this.handle(req, res)));
    ({ server: this.store, url: this.storeUrl } = await listen((req, res) => this.serveStored(req, res)));
    return this;
  }

  async stop(): Promise<void> {
    await Promise.all([close(this.server), close(this.store)]);
  }

  /** The budget of the fake's own token (the one tests use). */
  get rateLimit(): Budget {
    return this.budget(this.token);
  }

  budget(token: string): Budget {
    const now = Math.floor(Date.now() / 1000);
    let budget = this.budgets.get(token);
    if (!budget || now >= budget.reset) {
      const limit = this.options.rateLimit ?? 1000;
      budget = { limit, remaining: limit, reset: now + 3600 };
      this.budgets.set(token, budget);
    }
    return budget;
  }

  /** Adds a fault that runs before routing; it stays until it returns true `times` times. */
  fault(fault: Fault, times = 1): void {
    let left = times;
    const once: Fault = async (req, res, next) => {
      if (left <= 0) return false;
      const handled = await fault(req, res, next);
      if (handled) left--;
      return handled;
    };
    this.faults.push(once);
  }

  /** The next uploads get a 502 after GitHub has already recorded a `starter` asset of that name. */
  badGatewayOnUpload(times = 1, match: (req: FakeRequest) => boolean = () => true): void {
    this.fault((req, res) => {
      const target = this.uploadTarget(req);
      if (!target || !match(req)) return false;
      this.addAsset(target.release, target.name, req.body, 'starter');
      res.writeHead(502, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
      return true;
    }, times);
  }

  /** The next uploads lose their connection (a TCP reset) halfway through the body, leaving a `starter` asset. */
  resetOnUpload(times = 1): void {
    this.uploadResets += times;
  }

  /** The next uploads are stored, but the connection is reset instead of answered: the client cannot know it landed. */
  lostAnswerOnUpload(times = 1): void {
    this.fault(async (req, res, next) => {
      if (!this.uploadTarget(req)) return false;
      res.writeHead = () => res;
      res.end = () => res;
      await next();
      res.socket?.resetAndDestroy();
      return true;
    }, times);
  }

  /**
   * Uploads are held open, as a stalled transfer is: GitHub has recorded a `starter` asset and
   * answers nothing until the client gives up (closes the connection). `held` counts them.
   */
  holdUploads(): void {
    this.fault(async (req, res) => {
      const target = this.uploadTarget(req);
      if (!target) return false;
      this.addAsset(target.release, target.name, Buffer.alloc(0), 'starter');
      this.held++;
      await new Promise((resolve) => res.on('close', resolve));
      return true;
    }, Infinity);
  }

  /** Requests that match get 403 secondary rate limit with Retry-After (seconds). */
  secondaryRateLimit(match: (req: FakeRequest) => boolean, retryAfter: number, times = 1): void {
    this.fault((req, res) => {
      if (!match(req)) return false;
      res.writeHead(403, { 'content-type': 'application/json; charset=utf-8', 'retry-after': String(retryAfter) });
      res.end(
        JSON.stringify({
          message: SECONDARY_LIMIT,
          documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
        }),
      );
      return true;
    }, times);
  }

  /** Requests that match get 429 Too Many Requests, with Retry-After (seconds) when given. */
  tooManyRequests(match: (req: FakeRequest) => boolean, retryAfter?: number, times = 1): void {
    this.fault((req, res) => {
      if (!match(req)) return false;
      res.writeHead(429, {
        'content-type': 'application/json; charset=utf-8',
        ...(retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) }),
      });
      res.end(JSON.stringify({ message: 'Too Many Requests' }));
      return true;
    }, times);
  }

  addRelease(fields: Partial<FakeRelease> & { tag_name: string }): FakeRelease {
    const release: FakeRelease = {
      id: this.nextId++,
      name: fields.tag_name,
      body: '',
      draft: false,
      prerelease: false,
      target_commitish: 'main',
      immutable: false,
      assets: [],
      ...fields,
    };
    if (!release.draft) this.tags.add(release.tag_name);
    this.releases.push(release);
    return release;
  }

  addAsset(release: FakeRelease, name: string, data: Buffer, state: FakeAsset['state'] = 'uploaded'): FakeAsset {
    const sha256 = createHash('sha256').update(data).digest('hex');
    return this.storeAsset(release, name, data, data.length, sha256, state);
  }

  /** Every release with this tag, drafts included. */
  releasesTagged(tag: string): FakeRelease[] {
    return this.releases.filter((r) => r.tag_name === tag);
  }

  private storeAsset(
    release: FakeRelease,
    name: string,
    data: Buffer,
    size: number,
    sha256: string,
    state: FakeAsset['state'],
  ): FakeAsset {
    const asset: FakeAsset = {
      id: this.nextId++,
      name,
      label: '',
      content_type: 'application/octet-stream',
      size,
      state,
      data,
      sha256,
    };
    release.assets.push(asset);
    return asset;
  }

  private releaseJson(release: FakeRelease, repo: string) {
    return {
      id: release.id,
      tag_name: release.tag_name,
      name: release.name,
      body: release.body,
      draft: release.draft,
      prerelease: release.prerelease,
      target_commitish: release.target_commitish,
      immutable: release.immutable,
      url: `${this.url}/repos/${repo}/releases/${release.id}`,
      assets_url: `${this.url}/repos/${repo}/releases/${release.id}/assets`,
      html_url: `${this.url}/${repo}/releases/tag/${this.urlTag(release)}`,
      upload_url: `${this.url}/uploads/repos/${repo}/releases/${release.id}/assets{?name,label}`,
      assets: release.assets.map((asset) => this.assetJson(asset, repo, release)),
    };
  }

  private assetJson(asset: FakeAsset, repo: string, release: FakeRelease) {
    const { data: _data, sha256, ...fields } = asset;
    return {
      ...fields,
      ...(this.options.digests !== false && asset.state === 'uploaded' ? { digest: `sha256:${sha256}` } : {}),
      download_count: 0,
      url: `${this.url}/repos/${repo}/releases/assets/${asset.id}`,
      browser_download_url: `${this.url}/${repo}/releases/download/${this.urlTag(release)}/${encodeURIComponent(asset.name)}`,
    };
  }

  /** What release URLs carry: the tag, or for a draft a placeholder that changes when it is published. */
  private urlTag(release: FakeRelease): string {
    return release.draft
      ? `untagged-${release.id.toString(16).padStart(20, '0')}`
      : encodeURIComponent(release.tag_name);
  }

  /** The release and the name GitHub would store an upload under, for an authorized upload request. */
  private uploadTarget(req: FakeRequest): { release: FakeRelease; name: string; repo: string } | undefined {
    const upload = /^\/uploads\/repos\/([^/]+\/[^/]+)\/releases\/(\d+)\/assets$/.exec(req.path);
    const release = upload && req.method === 'POST' && this.releases.find((r) => r.id === Number(upload[2]));
    if (!upload || !release || !this.authorized(req)) return undefined;
    // GitHub renames what it cannot keep; an unencoded "+" arrives as a space and becomes ".".
    const name = (req.query.get('name') ?? '').replace(/[^A-Za-z0-9._+-]+/g, '.');
    return { release, name, repo: upload[1]! };
  }

  private authorized(req: FakeRequest): boolean {
    const auth = req.headers.authorization ?? '';
    return auth === `token ${this.token}` || auth === `Bearer ${this.token}`;
  }

  /** Publishing `release` would create its tag on a commit that changes workflows. */
  private refusesTag(release: { tag_name: string; target_commitish?: string }): boolean {
    return !this.tags.has(release.tag_name) && this.workflowCommits.has(release.target_commitish ?? '');
  }

  /** The object store: signed URLs carry their own authority, so an Authorization header is an error. */
  private async serveStored(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const id = /^\/objects\/(\d+)$/.exec(new URL(req.url ?? '/', this.storeUrl).pathname)?.[1];
    const release = this.releases.find((r) => r.assets.some((a) => a.id === Number(id)));
    const asset = release?.assets.find((a) => a.id === Number(id));
    if (req.headers.authorization) {
      res.writeHead(400, { 'content-type': 'application/xml' });
      res.end('<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed</Message></Error>');
      return;
    }
    if (!asset || asset.data.length !== asset.size) {
      res.writeHead(404, { 'content-type': 'application/xml' }).end('<Error><Code>NoSuchKey</Code></Error>');
      return;
    }
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': String(asset.size),
      'content-disposition': `attachment; filename=${asset.name}`,
    });
    res.end(asset.data);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const request: FakeRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: Buffer.alloc(0),
      at: Date.now(),
    };
    this.requests.push(request);
    const latency =
      typeof this.options.latencyMs === 'function' ? this.options.latencyMs() : (this.options.latencyMs ?? 0);
    if (latency > 0) await sleep(latency);

    const target = this.uploadTarget(request);
    if (target && this.uploadResets > 0) {
      this.uploadResets--;
      await new Promise((resolve) => req.once('data', resolve));
      this.addAsset(target.release, target.name, Buffer.alloc(0), 'starter');
      req.socket.resetAndDestroy();
      return;
    }
    const body = await this.readBody(req, Boolean(target));
    request.body = body.data;
    const next = () => this.route(request, res, body);
    for (const fault of this.faults) {
      if (await fault(request, res, next)) return;
    }
    await next();
  }

  /** The whole body, hashed as it arrives; an upload is read no faster than uploadBytesPerSecond. */
  private async readBody(
    req: IncomingMessage,
    upload: boolean,
  ): Promise<{ data: Buffer; size: number; sha256: string }> {
    const hash = createHash('sha256');
    const keep = !upload || Number(req.headers['content-length'] ?? 0) <= (this.options.keepBytesUpTo ?? Infinity);
    const chunks: Buffer[] = [];
    const rate = upload ? this.options.uploadBytesPerSecond : undefined;
    const start = Date.now();
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      hash.update(chunk);
      if (keep) chunks.push(chunk);
      size += chunk.length;
      const due = rate ? start + (size / rate) * 1000 - Date.now() : 0;
      if (due > 0) await sleep(due);
    }
    return { data: Buffer.concat(chunks), size, sha256: hash.digest('hex') };
  }

  private async route(req: FakeRequest, res: ServerResponse, body: { size: number; sha256: string }): Promise<void> {
    const token = (req.headers.authorization ?? '').replace(/^(token|Bearer) /, '');
    const budget = this.budget(token);
    const send = (status: number, data?: unknown, headers: Record<string, string> = {}) => {
      if (res.headersSent) return;
      res.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'x-ratelimit-limit': String(budget.limit),
        'x-ratelimit-remaining': String(budget.remaining),
        'x-ratelimit-reset': String(budget.reset),
        'x-ratelimit-used': String(budget.limit - budget.remaining),
        'x-ratelimit-resource': 'core',
        ...headers,
      });
      res.end(data === undefined ? undefined : JSON.stringify(data));
    };
    const notFound = () => send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
    const invalid = (resource: string, field: string) =>
      send(422, { message: 'Validation Failed', errors: [{ resource, code: 'already_exists', field }] });
    const findAsset = (id: number) => {
      const release = this.releases.find((r) => r.assets.some((a) => a.id === id));
      return release && { release, asset: release.assets.find((a) => a.id === id)! };
    };

    const browser = /^\/([^/]+\/[^/]+)\/releases\/download\/([^/]+)\/([^/]+)$/.exec(req.path);
    if (browser && req.method === 'GET') {
      const release = this.releases.find((r) => this.urlTag(r) === browser[2]);
      const asset = release?.assets.find((a) => a.name === decodeURIComponent(browser[3]!) && a.state === 'uploaded');
      return asset ? send(302, undefined, { location: `${this.storeUrl}/objects/${asset.id}` }) : notFound();
    }

    if (!this.authorized(req)) {
      return send(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    }
    if (budget.remaining <= 0) {
      return send(403, {
        message: 'API rate limit exceeded for installation.',
        documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
      });
    }
    budget.remaining--;
    const immutable = () =>
      send(422, {
        message: 'Cannot upload assets to an immutable release.',
        documentation_url: 'https://docs.github.com/rest/releases/assets#upload-a-release-asset',
      });
    const refuseTag = () => send(WORKFLOWS_REFUSAL.status, WORKFLOWS_REFUSAL.body, WORKFLOWS_REFUSAL.headers);

    const target = this.uploadTarget(req);
    if (target) {
      if (target.release.immutable) return immutable();
      if (target.release.assets.some((a) => a.name === target.name)) return invalid('ReleaseAsset', 'name');
      const length = Number(req.headers['content-length']);
      if (!Number.isFinite(length) || length !== body.size) {
        return send(400, { message: 'Content-Length does not match the body' });
      }
      const asset = this.storeAsset(target.release, target.name, req.body, body.size, body.sha256, 'uploaded');
      asset.label = req.query.get('label') ?? '';
      asset.content_type = req.headers['content-type'] ?? 'application/octet-stream';
      return send(201, this.assetJson(asset, target.repo, target.release));
    }

    const route = /^\/repos\/([^/]+\/[^/]+)\/releases(?:\/(.*))?$/.exec(req.path);
    if (!route) return notFound();
    const repo = route[1]!;
    const rest = route[2] ?? '';

    if (rest === '' && req.method === 'GET') {
      const newestFirst = [...this.releases].reverse();
      return this.paginate(
        req,
        newestFirst.map((r) => this.releaseJson(r, repo)),
        send,
      );
    }
    if (rest === '' && req.method === 'POST') {
      const fields = JSON.parse(req.body.toString() || '{}') as Partial<FakeRelease>;
      if (!fields.tag_name)
        return send(422, {
          message: 'Validation Failed',
          errors: [{ resource: 'Release', code: 'missing_field', field: 'tag_name' }],
        });
      if (!fields.draft && this.releases.some((r) => r.tag_name === fields.tag_name && !r.draft))
        return invalid('Release', 'tag_name');
      if (this.burntTags.has(fields.tag_name))
        return send(422, {
          message: 'Validation Failed',
          errors: [
            {
              resource: 'Release',
              code: 'custom',
              field: 'tag_name',
              message: 'tag_name was used by an immutable release',
            },
          ],
        });
      if (this.refusesTag({ target_commitish: 'main', ...fields, tag_name: fields.tag_name })) return refuseTag();
      const release = this.addRelease({
        ...fields,
        tag_name: fields.tag_name,
        immutable: !fields.draft && Boolean(this.options.immutableReleases),
        assets: [],
      });
      return send(201, this.releaseJson(release, repo));
    }

    const byTag = /^tags\/(.+)$/.exec(rest);
    if (byTag && req.method === 'GET') {
      const release = this.releases.find((r) => r.tag_name === decodeURIComponent(byTag[1]!) && !r.draft);
      return release ? send(200, this.releaseJson(release, repo)) : notFound();
    }

    const assetRoute = /^assets\/(\d+)$/.exec(rest);
    if (assetRoute) {
      const found = findAsset(Number(assetRoute[1]));
      if (!found) return notFound();
      if (req.method === 'DELETE') {
        if (found.release.immutable) return send(422, { message: 'Cannot delete assets of an immutable release.' });
        found.release.assets.splice(found.release.assets.indexOf(found.asset), 1);
        return send(204);
      }
      if (req.method === 'GET' && req.headers.accept === 'application/octet-stream') {
        return send(302, undefined, { location: `${this.storeUrl}/objects/${found.asset.id}` });
      }
      if (req.method === 'GET') return send(200, this.assetJson(found.asset, repo, found.release));
    }

    const byId = /^(\d+)(\/assets)?$/.exec(rest);
    const release = byId && this.releases.find((r) => r.id === Number(byId[1]));
    if (!byId || !release) return notFound();
    if (byId[2] && req.method === 'GET') {
      return this.paginate(
        req,
        release.assets.map((a) => this.assetJson(a, repo, release)),
        send,
      );
    }
    if (req.method === 'GET') return send(200, this.releaseJson(release, repo));
    if (req.method === 'PATCH') {
      const fields = JSON.parse(req.body.toString() || '{}') as Partial<FakeRelease>;
      const publishing = release.draft && fields.draft === false;
      if (release.immutable && Object.keys(fields).some((k) => k !== 'body' && k !== 'name'))
        return send(422, { message: 'Only the title and notes of an immutable release can be modified.' });
      if (publishing && this.refusesTag({ ...release, ...fields })) return refuseTag();
      Object.assign(release, fields);
      if (publishing) {
        this.tags.add(release.tag_name);
        release.immutable = Boolean(this.options.immutableReleases);
      }
      return send(200, this.releaseJson(release, repo));
    }
    if (req.method === 'DELETE') {
      this.releases.splice(this.releases.indexOf(release), 1);
      if (release.immutable) this.burntTags.add(release.tag_name);
      return send(204);
    }
    return notFound();
  }

  private paginate(
    req: FakeRequest,
    items: unknown[],
    send: (status: number, body?: unknown, headers?: Record<string, string>) => void,
  ): void {
    const perPage = Math.min(
      Number(req.query.get('per_page') ?? this.pageSize) || this.pageSize,
      this.options.maxPerPage ?? 100,
    );
    const page = Number(req.query.get('page') ?? 1) || 1;
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const link = (p: number, rel: string) => {
      const query = new URLSearchParams(req.query);
      query.set('page', String(p));
      query.set('per_page', String(perPage));
      return `<${this.url}${req.path}?${query}>; rel="${rel}"`;
    };
    const links = [page < last && link(page + 1, 'next'), page < last && link(last, 'last')].filter(Boolean);
    send(200, items.slice((page - 1) * perPage, page * perPage), links.length ? { link: links.join(', ') } : {});
  }
}
