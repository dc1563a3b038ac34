import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback stand-in for GitHub's REST release API, following the documented behaviour:
 * releases by tag (drafts are not found by tag), 422 already_exists on a duplicate published
 * tag or asset name, paginated asset lists with Link headers, uploads to the release's
 * upload_url, and asset downloads through a redirect. Faults are injected with `fault`.
 */

export interface FakeAsset {
  id: number;
  name: string;
  label: string;
  content_type: string;
  size: number;
  state: 'uploaded' | 'starter';
  data: Buffer;
}

export interface FakeRelease {
  id: number;
  tag_name: string;
  name: string;
  body: string;
  draft: boolean;
  prerelease: boolean;
  target_commitish: string;
  assets: FakeAsset[];
}

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** Handles the request itself (a fault) by returning true; `next` lets it run the real route first. */
export type Fault = (req: FakeRequest, res: ServerResponse, next: () => Promise<void>) => boolean | Promise<boolean>;

export class FakeGitHub {
  readonly releases: FakeRelease[] = [];
  readonly requests: FakeRequest[] = [];
  readonly faults: Fault[] = [];
  private nextId = 1;
  private server?: Server;
  url = '';

  constructor(
    readonly token = 'ghs_faketoken0123456789',
    readonly pageSize = 30,
  ) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
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

  addRelease(fields: Partial<FakeRelease> & { tag_name: string }): FakeRelease {
    const release: FakeRelease = {
      id: this.nextId++,
      name: fields.tag_name,
      body: '',
      draft: false,
      prerelease: false,
      target_commitish: 'main',
      assets: [],
      ...fields,
    };
    this.releases.push(release);
    return release;
  }

  addAsset(release: FakeRelease, name: string, data: Buffer, state: FakeAsset['state'] = 'uploaded'): FakeAsset {
    const asset: FakeAsset = { id: this.nextId++, name, label: '', content_type: 'application/octet-stream', size: data.length, state, data };
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
      url: `${this.url}/repos/${repo}/releases/${release.id}`,
      html_url: `${this.url}/${repo}/releases/tag/${encodeURIComponent(release.tag_name)}`,
      upload_url: `${this.url}/uploads/repos/${repo}/releases/${release.id}/assets{?name,label}`,
      assets: release.assets.map((asset) => this.assetJson(asset, repo)),
    };
  }

  private assetJson(asset: FakeAsset, repo: string) {
    const { data: _data, ...fields } = asset;
    return {
      ...fields,
      url: `${this.url}/repos/${repo}/releases/assets/${asset.id}`,
      browser_download_url: `${this.url}/${repo}/releases/download/${encodeURIComponent(asset.name)}`,
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    await new Promise((resolve) => req.on('end', resolve).on('error', resolve));
    const url = new URL(req.url ?? '/', this.url);
    const request: FakeRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: Buffer.concat(chunks),
    };
    this.requests.push(request);
    const next = () => this.route(request, res);
    for (const fault of this.faults) {
      if (await fault(request, res, next)) return;
    }
    await next();
  }

  private async route(req: FakeRequest, res: ServerResponse): Promise<void> {
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      if (res.headersSent) return;
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-ratelimit-remaining': '4999', ...headers });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    const notFound = () => send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
    const invalid = (resource: string, field: string) =>
      send(422, { message: 'Validation Failed', errors: [{ resource, code: 'already_exists', field }] });

    const download = /^\/download\/(\d+)$/.exec(req.path);
    if (download) {
      const asset = this.releases.flatMap((r) => r.assets).find((a) => a.id === Number(download[1]));
      if (!asset) return notFound();
      res.writeHead(200, { 'content-type': asset.content_type, 'content-length': String(asset.size) });
      res.end(asset.data);
      return;
    }

    const auth = req.headers.authorization ?? '';
    if (auth !== `token ${this.token}` && auth !== `Bearer ${this.token}`) {
      return send(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    }

    const upload = /^\/uploads\/repos\/([^/]+\/[^/]+)\/releases\/(\d+)\/assets$/.exec(req.path);
    if (upload && req.method === 'POST') {
      const release = this.releases.find((r) => r.id === Number(upload[2]));
      if (!release) return notFound();
      // GitHub renames what it cannot keep; an unencoded "+" arrives as a space and becomes ".".
      const name = (req.query.get('name') ?? '').replace(/[^A-Za-z0-9._+-]+/g, '.');
      if (release.assets.some((a) => a.name === name)) return invalid('ReleaseAsset', 'name');
      const length = Number(req.headers['content-length']);
      if (!Number.isFinite(length) || length !== req.body.length) {
        return send(400, { message: 'Content-Length does not match the body' });
      }
      const asset = this.addAsset(release, name, req.body);
      asset.label = req.query.get('label') ?? '';
      asset.content_type = req.headers['content-type'] ?? 'application/octet-stream';
      return send(201, this.assetJson(asset, upload[1]!));
    }

    const route = /^\/repos\/([^/]+\/[^/]+)\/releases(?:\/(.*))?$/.exec(req.path);
    if (!route) return notFound();
    const repo = route[1]!;
    const rest = route[2] ?? '';

    if (rest === '' && req.method === 'GET') return this.paginate(req, res, this.releases.map((r) => this.releaseJson(r, repo)), send);
    if (rest === '' && req.method === 'POST') {
      const body = JSON.parse(req.body.toString() || '{}') as Partial<FakeRelease>;
      if (!body.tag_name) return send(422, { message: 'Validation Failed', errors: [{ resource: 'Release', code: 'missing_field', field: 'tag_name' }] });
      if (!body.draft && this.releases.some((r) => r.tag_name === body.tag_name && !r.draft)) return invalid('Release', 'tag_name');
      const release = this.addRelease({ ...body, tag_name: body.tag_name, assets: [] });
      return send(201, this.releaseJson(release, repo));
    }

    const byTag = /^tags\/(.+)$/.exec(rest);
    if (byTag && req.method === 'GET') {
      const release = this.releases.find((r) => r.tag_name === decodeURIComponent(byTag[1]!) && !r.draft);
      return release ? send(200, this.releaseJson(release, repo)) : notFound();
    }

    const asset = /^assets\/(\d+)$/.exec(rest);
    if (asset) {
      const owner = this.releases.find((r) => r.assets.some((a) => a.id === Number(asset[1])));
      const found = owner?.assets.find((a) => a.id === Number(asset[1]));
      if (!owner || !found) return notFound();
      if (req.method === 'DELETE') {
        owner.assets.splice(owner.assets.indexOf(found), 1);
        return send(204);
      }
      if (req.method === 'GET' && req.headers.accept === 'application/octet-stream') {
        return send(302, undefined, { location: `${this.url}/download/${found.id}` });
      }
      if (req.method === 'GET') return send(200, this.assetJson(found, repo));
    }

    const byId = /^(\d+)(\/assets)?$/.exec(rest);
    const release = byId && this.releases.find((r) => r.id === Number(byId[1]));
    if (!byId || !release) return notFound();
    if (byId[2] && req.method === 'GET') {
      return this.paginate(req, res, release.assets.map((a) => this.assetJson(a, repo)), send);
    }
    if (req.method === 'GET') return send(200, this.releaseJson(release, repo));
    if (req.method === 'PATCH') {
      Object.assign(release, JSON.parse(req.body.toString() || '{}'));
      return send(200, this.releaseJson(release, repo));
    }
    if (req.method === 'DELETE') {
      this.releases.splice(this.releases.indexOf(release), 1);
      return send(204);
    }
    return notFound();
  }

  private paginate(
    req: FakeRequest,
    _res: ServerResponse,
    items: unknown[],
    send: (status: number, body?: unknown, headers?: Record<string, string>) => void,
  ): void {
    const perPage = Math.min(Number(req.query.get('per_page') ?? this.pageSize) || this.pageSize, 100);
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
