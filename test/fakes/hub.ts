import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { close, listen } from './github';

/**
 * A loopback Hugging Face Hub that speaks what @huggingface/hub calls for publishing: repo info
 * (GET /api/{models|datasets}/{repo}, .../revision/{rev} with `sha`), repo creation
 * (POST /api/repos/create, 409 when taken), branches (POST .../branch/{name}, 409 when taken), the
 * tree (GET .../tree/{rev}/{path}, paginated by cursor and Link, `lfs.oid` = sha256 for LFS files),
 * resolve downloads (Range answered with 206 and Content-Range), preupload (binary or large files
 * go to LFS), the LFS batch API with `basic` transfers (no upload action for an object already
 * stored) and the PUT it points at (sha256 and size checked), or, over `multipart.over` bytes,
 * parts with ETags and a completion that joins them, and the ndjson commit, refused with
 * 412 when `parentCommit` is no longer the branch's head. Tokens are `write` or `read`; a read
 * token gets 403 on every write, an unknown one 401; whoami-v2 names the role (auth.accessToken.role). Faults run before routing (`fault`).
 */

export type RepoKind = 'model' | 'dataset';

export interface FakeHubFile {
  data: Buffer;
  /** sha256 of the data, for files the commit named as LFS files. */
  lfs?: string;
}

export interface FakeHubCommit {
  id: string;
  parent?: string;
  title: string;
  files: Map<string, FakeHubFile>;
}

export interface FakeHubRepo {
  type: RepoKind;
  name: string;
  branches: Map<string, string>;
  commits: Map<string, FakeHubCommit>;
}

export interface FakeHubRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export type HubFault = (
  req: FakeHubRequest,
  res: ServerResponse,
  next: () => Promise<void>,
) => boolean | Promise<boolean>;

export interface FakeHubOptions {
  /** Delay before each request is handled, in ms (a function gives jitter, for races). */
  latencyMs?: number | (() => number);
  /** Entries per page of a tree listing (the Hub's is 1000); small values force pagination. */
  pageSize?: number;
  /** Objects larger than this go up in parts (the Hub's `multipart` transfer) of this many bytes each. */
  multipart?: { over: number; chunkSize: number };
}

const STALE = 'A commit has happened since. Please refresh and try again.';
const GITATTRIBUTES = '*.bin filter=lfs diff=lfs merge=lfs -text\n*.safetensors filter=lfs diff=lfs merge=lfs -text\n';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const gitOid = (data: Buffer): string => createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');

export class FakeHub {
  readonly repos = new Map<string, FakeHubRepo>();
  readonly lfsObjects = new Map<string, Buffer>();
  readonly requests: FakeHubRequest[] = [];
  readonly faults: HubFault[] = [];
  /** Status of every answer, by "METHOD path-kind" (commit, preupload, ...), for assertions. */
  readonly answers: { kind: string; status: number }[] = [];
  private readonly parts = new Map<string, Map<number, Buffer>>();
  private server?: Server;
  url = '';

  constructor(
    readonly tokens: Record<string, 'read' | 'write'>,
    readonly options: FakeHubOptions = {},
  ) {}

  async start(): Promise<this> {
    ({ server: this.server, url: this.url } = await listen((req, res) => this.handle(req, res)));
    return this;
  }

  stop(): Promise<void> {
    return close(this.server);
  }

  /** Adds a fault that runs before routing; it stays until it has handled `times` requests. */
  fault(fault: HubFault, times = 1): void {
    let left = times;
    this.faults.push(async (req, res, next) => {
      if (left <= 0) return false;
      const handled = await fault(req, res, next);
      if (handled) left--;
      return handled;
    });
  }

  /** Matching requests get `status` (a 5xx, or 429 with Retry-After seconds) instead of an answer. */
  failing(match: (req: FakeHubRequest) => boolean, status: number, times = 1, retryAfter?: number): void {
    this.fault((req, res) => {
      if (!match(req)) return false;
      res.writeHead(status, {
        'content-type': 'application/json',
        ...(retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : {}),
      });
      res.end(JSON.stringify({ error: status === 429 ? 'Too Many Requests' : 'Internal Error' }));
      this.answers.push({ kind: kindOf(req), status });
      return true;
    }, times);
  }

  /**
   * The Hub's rate limit as it documents it: from now until `seconds` later (by `now`, which a test
   * may run on its own clock), matching requests get 429 with `RateLimit: "api";r=0;t=<seconds
   * left>` and `RateLimit-Policy`, and no Retry-After. `retryAfter` adds one, as a proxy might.
   */
  rateLimited(
    match: (req: FakeHubRequest) => boolean,
    seconds: number,
    now: () => number = Date.now,
    retryAfter?: string,
  ): void {
    const resetAt = now() + seconds * 1000;
    this.faults.push((req, res) => {
      const left = Math.ceil((resetAt - now()) / 1000);
      if (left <= 0 || !match(req)) return false;
      res.writeHead(429, {
        'content-type': 'application/json',
        ratelimit: `"api";r=0;t=${left}`,
        'ratelimit-policy': '"fixed window";"api";q=500;w=300',
        ...(retryAfter !== undefined ? { 'retry-after': retryAfter } : {}),
      });
      res.end(JSON.stringify({ error: 'You have been rate-limited; you can retry this action in about 5 minutes.' }));
      this.answers.push({ kind: kindOf(req), status: 429 });
      return true;
    });
  }

  /**
   * A Hub that misbehaves in time or size on matching requests: `hang` never answers; `drip` sends
   * a JSON answer one byte every 100 ms; `answer-then-hang` sends the headers and part of the body,
   * then nothing; `flood` sends up to 1 GB without a length (what it got out is in `flooded`).
   */
  stalling(match: (req: FakeHubRequest) => boolean, kind: 'hang' | 'drip' | 'answer-then-hang' | 'flood'): void {
    this.faults.push(async (req, res) => {
      if (!match(req)) return false;
      const closed = new Promise((resolve) => res.once('close', resolve));
      if (kind === 'hang') return true;
      if (kind === 'answer-then-hang') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"id": "octo/');
        return true;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(kind === 'drip' ? 1 : 64 * 1024, 0x20);
      while (!res.destroyed && this.flooded < 2 ** 30) {
        if (kind === 'drip') await Promise.race([sleep(100), closed]);
        else this.flooded += chunk.length;
        if (!res.write(chunk)) await Promise.race([new Promise((resolve) => res.once('drain', resolve)), closed]);
      }
      if (!res.destroyed) res.end();
      return true;
    });
  }

  /** Bytes a `flood` wrote before the client hung up. */
  flooded = 0;

  /** Just before the next commit to `branch` lands, someone else commits `files` there: the parent check fails. */
  commitElsewhereFirst(repoName: string, branch: string, files: Record<string, string>, times = 1): void {
    let left = times;
    this.faults.push((req) => {
      if (left <= 0 || kindOf(req) !== 'commit') return false;
      left--;
      this.addCommit(this.repos.get(repoName)!, branch, 'Edit by someone else', files);
      return false; // the commit itself then runs, against a head that moved
    });
  }

  /** The next commit lands, but its answer is lost (the connection drops). */
  lostAnswerOnCommit(times = 1): void {
    this.fault(async (req, res, next) => {
      if (kindOf(req) !== 'commit') return false;
      res.writeHead = () => res;
      res.end = () => res;
      await next();
      res.socket?.resetAndDestroy();
      return true;
    }, times);
  }

  /** A repository with an initial commit (.gitattributes), as the Hub creates one. */
  addRepo(type: RepoKind, name: string): FakeHubRepo {
    const repo: FakeHubRepo = { type, name, branches: new Map(), commits: new Map() };
    this.repos.set(name, repo);
    this.addCommit(repo, 'main', 'initial commit', { '.gitattributes': GITATTRIBUTES });
    return repo;
  }

  /** A commit on top of the branch's head; strings go to git, Buffers to LFS. */
  addCommit(repo: FakeHubRepo, branch: string, title: string, files: Record<string, string | Buffer>): FakeHubCommit {
    const parent = repo.branches.get(branch);
    const tree = new Map(parent ? repo.commits.get(parent)!.files : []);
    for (const [path, content] of Object.entries(files)) {
      if (typeof content === 'string') tree.set(path, { data: Buffer.from(content) });
      else {
        this.lfsObjects.set(sha256(content), content);
        tree.set(path, { data: content, lfs: sha256(content) });
      }
    }
    return this.storeCommit(repo, branch, parent, title, tree);
  }

  /** The files of a branch's head. */
  tree(repoName: string, branch = 'main'): Map<string, FakeHubFile> {
    const repo = this.repos.get(repoName)!;
    return repo.commits.get(repo.branches.get(branch)!)!.files;
  }

  /** The commits of a branch, newest first. */
  history(repoName: string, branch = 'main'): FakeHubCommit[] {
    const repo = this.repos.get(repoName)!;
    const list: FakeHubCommit[] = [];
    for (let id = repo.branches.get(branch); id; id = repo.commits.get(id)!.parent) list.push(repo.commits.get(id)!);
    return list;
  }

  private storeCommit(
    repo: FakeHubRepo,
    branch: string,
    parent: string | undefined,
    title: string,
    files: Map<string, FakeHubFile>,
  ): FakeHubCommit {
    const commit = { id: randomBytes(20).toString('hex'), parent, title, files };
    repo.commits.set(commit.id, commit);
    repo.branches.set(branch, commit.id);
    return commit;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    const request: FakeHubRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: Buffer.concat(chunks),
    };
    this.requests.push(request);
    const latency =
      typeof this.options.latencyMs === 'function' ? this.options.latencyMs() : (this.options.latencyMs ?? 0);
    if (latency > 0) await sleep(latency);
    const next = () => this.route(request, res);
    for (const fault of this.faults) if (await fault(request, res, next)) return;
    await next();
  }

  private async route(req: FakeHubRequest, res: ServerResponse): Promise<void> {
    const send = (status: number, data?: unknown, headers: Record<string, string> = {}) => {
      this.answers.push({ kind: kindOf(req), status });
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(data === undefined ? undefined : JSON.stringify(data));
    };
    const error = (status: number, message: string, code?: string) =>
      send(status, { error: message }, code ? { 'x-error-code': code } : {});

    // LFS storage (a presigned S3 URL on the real Hub): no token, the body must match its oid.
    const put = /^\/lfs-upload\/([0-9a-f]{64})$/.exec(req.path);
    if (put && req.method === 'PUT') {
      if (sha256(req.body) !== put[1] || Number(req.query.get('size')) !== req.body.length)
        return error(400, 'Content does not match the object id');
      this.lfsObjects.set(put[1]!, req.body);
      return send(200);
    }

    // Multipart LFS (presigned part URLs on the real Hub): each part answers an ETag; the completion joins them.
    const part = /^\/lfs-multipart\/([0-9a-f]{64})\/(\d+)$/.exec(req.path);
    if (part && req.method === 'PUT') {
      const parts = this.parts.get(part[1]!) ?? new Map<number, Buffer>();
      this.parts.set(part[1]!, parts.set(Number(part[2]), req.body));
      return send(200, undefined, { etag: `"${createHash('md5').update(req.body).digest('hex')}"` });
    }
    const complete = /^\/lfs-multipart\/([0-9a-f]{64})$/.exec(req.path);
    if (complete && req.method === 'POST') {
      const body = JSON.parse(req.body.toString()) as { oid: string; parts: { partNumber: number; etag: string }[] };
      const parts = this.parts.get(complete[1]!) ?? new Map<number, Buffer>();
      const chunks = body.parts.map((p) => parts.get(p.partNumber));
      const etags = chunks.map((c) => c && `"${createHash('md5').update(c).digest('hex')}"`);
      const data = Buffer.concat(chunks.filter((c) => c !== undefined));
      if (etags.some((e, i) => e !== body.parts[i]!.etag) || sha256(data) !== complete[1])
        return error(400, 'Parts do not make up the object');
      this.lfsObjects.set(complete[1]!, data);
      return send(200, {});
    }

    const role = this.tokens[(req.headers.authorization ?? '').replace(/^Bearer /, '')];
    // Downloads of a public repository need no token (pip sends none); a wrong token is refused anywhere.
    const anonymousDownload = !req.headers.authorization && kindOf(req) === 'resolve';
    if (!role && !anonymousDownload) return error(401, 'Invalid credentials in Authorization header');
    const needsWrite = () => {
      if (role === 'write') return false;
      error(403, 'You do not have write access to this repository. Use a token with the "write" role.');
      return true;
    };

    if (req.path === '/api/whoami-v2' && req.method === 'GET') {
      // As the real Hub: the user, and the token's role under auth.accessToken.
      const accessToken = { displayName: 'sagewheels-test', role, createdAt: '2026-01-01T00:00:00.000Z' };
      return send(200, {
        type: 'user',
        id: 'u1',
        name: 'fake-user',
        orgs: [],
        auth: { type: 'access_token', accessToken },
      });
    }

    if (req.path === '/api/repos/create' && req.method === 'POST') {
      if (needsWrite()) return;
      const body = JSON.parse(req.body.toString()) as { name: string; organization?: string; type?: RepoKind };
      const name = `${body.organization}/${body.name}`;
      const type = body.type ?? 'model';
      const url = `${this.url}/${type === 'dataset' ? 'datasets/' : ''}${name}`;
      if (this.repos.has(name)) return send(409, { error: `You already created this ${type} repo`, url });
      this.addRepo(type, name);
      return send(200, { url, name, id: name });
    }

    const api = /^\/api\/(models|datasets)\/([^/]+\/[^/]+)(?:\/([^/]+)(?:\/([^/]+)(?:\/(.*))?)?)?$/.exec(req.path);
    const git = /^\/(datasets\/)?([^/]+\/[^/]+?)(?:\.git\/info\/lfs\/objects\/batch|\/resolve\/([^/]+)\/(.+))$/.exec(
      req.path,
    );
    const type: RepoKind = (api ? api[1] === 'datasets' : Boolean(git?.[1])) ? 'dataset' : 'model';
    const name = api?.[2] ?? git?.[2];
    const repo = name ? this.repos.get(name) : undefined;
    if (!name || (!api && !git)) return error(404, 'Not Found');
    if (!repo || repo.type !== type) return error(404, 'Repository not found', 'RepoNotFound');
    const commitOf = (rev: string) => {
      const ref = rev === 'HEAD' ? 'main' : rev;
      return repo.commits.get(repo.branches.get(ref) ?? ref);
    };

    if (git && !git[3]) {
      // LFS batch: what to upload, or nothing for objects already stored.
      if (needsWrite()) return;
      const body = JSON.parse(req.body.toString()) as { objects: { oid: string; size: number }[] };
      return send(
        200,
        {
          transfer: 'basic',
          objects: body.objects.map(({ oid, size }) => ({
            oid,
            size,
            authenticated: true,
            ...(this.lfsObjects.has(oid) ? {} : { actions: { upload: this.uploadAction(oid, size) } }),
          })),
        },
        { 'content-type': 'application/vnd.git-lfs+json' },
      );
    }
    if (git) {
      const commit = commitOf(decodeURIComponent(git[3]!));
      if (!commit) return error(404, 'Revision not found', 'RevisionNotFound');
      const file = commit.files.get(decodeURIComponent(git[4]!));
      if (!file) return error(404, 'Entry not found', 'EntryNotFound');
      const range = /^bytes=(\d+)-(\d+)$/.exec(String(req.headers.range ?? ''));
      const headers = { etag: `"${file.lfs ?? gitOid(file.data)}"`, 'content-type': 'application/octet-stream' };
      this.answers.push({ kind: kindOf(req), status: range ? 206 : 200 });
      if (range) {
        const end = Math.min(Number(range[2]), file.data.length - 1);
        res.writeHead(206, { ...headers, 'content-range': `bytes ${range[1]}-${end}/${file.data.length}` });
        res.end(file.data.subarray(Number(range[1]), end + 1));
      } else {
        res.writeHead(200, { ...headers, 'content-length': String(file.data.length) });
        res.end(file.data);
      }
      return;
    }

    const [, , , action, rev, rest] = api!;
    const revision = rev ? decodeURIComponent(rev) : undefined;
    if (!action && req.method === 'GET') return send(200, this.info(repo, commitOf('HEAD')!));
    if (action === 'revision' && req.method === 'GET') {
      const commit = commitOf(revision!);
      return commit ? send(200, this.info(repo, commit)) : error(404, 'Invalid rev id', 'RevisionNotFound');
    }
    if (action === 'branch' && req.method === 'POST') {
      if (needsWrite()) return;
      if (repo.branches.has(revision!)) return error(409, 'Reference already exists');
      const body = JSON.parse(req.body.toString() || '{}') as { startingPoint?: string };
      const from = commitOf(body.startingPoint ?? 'HEAD');
      if (!from) return error(404, 'Invalid rev id', 'RevisionNotFound');
      repo.branches.set(revision!, from.id);
      return send(200, {});
    }
    if (action === 'tree' && req.method === 'GET') return this.listTree(req, repo, commitOf(revision!), rest, send);
    if (action === 'preupload' && req.method === 'POST') {
      if (needsWrite()) return;
      if (!commitOf(revision!)) return error(404, 'Invalid rev id', 'RevisionNotFound');
      const body = JSON.parse(req.body.toString()) as { files: { path: string; size: number; sample: string }[] };
      const files = body.files.map((f) => ({
        path: f.path,
        // The Hub's rule: large or binary (a NUL byte in the first 512) goes to LFS.
        uploadMode: f.size >= 10 * 1024 * 1024 || Buffer.from(f.sample, 'base64').includes(0) ? 'lfs' : 'regular',
      }));
      return send(200, { files });
    }
    if (action === 'commit' && req.method === 'POST') {
      if (needsWrite()) return;
      const head = repo.branches.get(revision!);
      if (!head) return error(404, 'Invalid rev id', 'RevisionNotFound');
      const lines = req.body
        .toString()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { key: string; value: Record<string, string | number> });
      const header = lines.find((l) => l.key === 'header')?.value ?? {};
      if (header.parentCommit !== undefined && header.parentCommit !== head) return error(412, STALE);
      const tree = new Map(repo.commits.get(head)!.files);
      for (const { key, value } of lines) {
        const path = String(value.path);
        if (key === 'file') tree.set(path, { data: Buffer.from(String(value.content), 'base64') });
        else if (key === 'deletedFile') tree.delete(path);
        else if (key === 'lfsFile') {
          const data = this.lfsObjects.get(String(value.oid));
          if (!data || data.length !== value.size) return error(422, `LFS object ${value.oid} of ${path} not found`);
          tree.set(path, { data, lfs: String(value.oid) });
        }
      }
      const commit = this.storeCommit(repo, revision!, head, String(header.summary ?? ''), tree);
      const prefix = repo.type === 'dataset' ? 'datasets/' : '';
      return send(200, {
        success: true,
        commitOid: commit.id,
        commitUrl: `${this.url}/${prefix}${repo.name}/commit/${commit.id}`,
        hookOutput: '',
      });
    }
    return error(404, 'Not Found');
  }

  /** Where an object goes: one PUT, or parts of `chunk_size` and a completion URL. */
  private uploadAction(oid: string, size: number) {
    const multipart = this.options.multipart;
    if (!multipart || size <= multipart.over)
      return { href: `${this.url}/lfs-upload/${oid}?size=${size}`, expires_in: 3600 };
    const header: Record<string, string> = { chunk_size: String(multipart.chunkSize) };
    for (let i = 1; i <= Math.ceil(size / multipart.chunkSize); i++)
      header[String(i).padStart(5, '0')] = `${this.url}/lfs-multipart/${oid}/${i}`;
    return { href: `${this.url}/lfs-multipart/${oid}`, header, expires_in: 3600 };
  }

  private info(repo: FakeHubRepo, commit: FakeHubCommit) {
    return {
      _id: createHash('sha1').update(repo.name).digest('hex').slice(0, 24),
      id: repo.name,
      private: false,
      gated: false,
      downloads: 0,
      likes: 0,
      lastModified: new Date().toISOString(),
      sha: commit.id,
      siblings: [...commit.files.keys()].map((rfilename) => ({ rfilename })),
    };
  }

  private listTree(
    req: FakeHubRequest,
    repo: FakeHubRepo,
    commit: FakeHubCommit | undefined,
    folder: string | undefined,
    send: (status: number, data?: unknown, headers?: Record<string, string>) => void,
  ): void {
    if (!commit) return send(404, { error: 'Invalid rev id' }, { 'x-error-code': 'RevisionNotFound' });
    const prefix = folder ? `${decodeURIComponent(folder).replace(/\/$/, '')}/` : '';
    const recursive = req.query.get('recursive') === 'true';
    const entries = new Map<string, unknown>();
    for (const [path, file] of [...commit.files].sort(([a], [b]) => a.localeCompare(b))) {
      if (!path.startsWith(prefix)) continue;
      const parts = path.slice(prefix.length).split('/');
      for (let depth = 1; depth < parts.length && (recursive || depth === 1); depth++) {
        const dir = prefix + parts.slice(0, depth).join('/');
        entries.set(dir, { type: 'directory', oid: gitOid(Buffer.from(dir)), size: 0, path: dir });
      }
      if (!recursive && parts.length > 1) continue;
      entries.set(path, {
        type: 'file',
        oid: file.lfs
          ? gitOid(Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${file.lfs}`))
          : gitOid(file.data),
        size: file.data.length,
        path,
        ...(file.lfs ? { lfs: { oid: file.lfs, size: file.data.length, pointerSize: 134 } } : {}),
      });
    }
    if (prefix && entries.size === 0)
      return send(404, { error: 'Entry not found' }, { 'x-error-code': 'EntryNotFound' });
    const all = [...entries.values()];
    const size = this.options.pageSize ?? 1000;
    const start = Number(req.query.get('cursor') ?? 0);
    const page = all.slice(start, start + size);
    const headers: Record<string, string> = {};
    if (start + size < all.length) {
      const next = new URL(req.path, this.url);
      for (const [k, v] of req.query) if (k !== 'cursor') next.searchParams.set(k, v);
      next.searchParams.set('cursor', String(start + size));
      headers.link = `<${next.href}>; rel="next"`;
    }
    send(200, page, headers);
  }
}

/** What a request is, in a word, for counting: commit, preupload, lfs-batch, lfs-upload, tree, resolve, info, ... */
export function kindOf(req: Pick<FakeHubRequest, 'method' | 'path'>): string {
  if (req.path.startsWith('/lfs-upload/')) return 'lfs-upload';
  if (req.path.startsWith('/lfs-multipart/')) return req.method === 'PUT' ? 'lfs-part' : 'lfs-complete';
  if (req.path.endsWith('.git/info/lfs/objects/batch')) return 'lfs-batch';
  if (/\/resolve\//.test(req.path)) return 'resolve';
  if (req.path === '/api/repos/create') return 'create-repo';
  const api = /^\/api\/(?:models|datasets)\/[^/]+\/[^/]+(?:\/([^/]+))?/.exec(req.path);
  return api ? (api[1] ?? 'info') : 'other';
}
