import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { close, listen } from './github';

/**
 * A loopback stand-in for the Actions artifact service as @actions/artifact v2+ speaks to it:
 * Twirp JSON at ACTIONS_RESULTS_URL (github.actions.results.api.v1.ArtifactService:
 * CreateArtifact, FinalizeArtifact, ListArtifacts, DeleteArtifact) authorized by
 * ACTIONS_RUNTIME_TOKEN, a JWT whose `scp` claim names the run's and job's backend ids; and the
 * signed blob URL CreateArtifact hands out, written Azure Block Blob style (PUT ?comp=block,
 * then ?comp=blocklist). Names are unique in a run (409 already_exists, also for a while after a delete), and Finalize checks
 * size and sha256 against the committed blob.
 */

export interface FakeArtifact {
  id: number;
  name: string;
  runId: string;
  jobId: string;
  size: number;
  digest: string;
  data: Buffer;
  finalized: boolean;
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export class FakeArtifactService {
  readonly artifacts: FakeArtifact[] = [];
  readonly requests: { method: string; path: string }[] = [];
  readonly runId = 'c0ffee00-0000-4000-8000-000000000001';
  readonly jobId = 'c0ffee00-0000-4000-8000-000000000002';
  /** ACTIONS_RUNTIME_TOKEN: an unsigned JWT, which is all the client decodes. */
  readonly token = `${base64url({ alg: 'RS256', typ: 'JWT' })}.${base64url({ scp: `Actions.GenericRead:x Actions.Results:${this.runId}:${this.jobId}` })}.c2ln`;
  private readonly signature = randomBytes(12).toString('hex');
  private readonly blocks = new Map<string, Map<string, Buffer>>();
  private readonly blobs = new Map<string, Buffer>();
  private nextId = 100;
  /** CreateArtifact calls for a just-deleted name still refused with 409, as the real service does for a while. */
  conflictsAfterDelete = 0;
  private lingering = new Map<string, number>();
  private server?: Server;
  url = '';

  async start(): Promise<this> {
    ({ server: this.server, url: this.url } = await listen((req, res) => this.handle(req, res)));
    return this;
  }

  stop(): Promise<void> {
    return close(this.server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname });
    if (url.pathname.startsWith('/twirp/')) return this.twirp(url.pathname, req, body, res);
    if (url.pathname.startsWith('/devstoreaccount1/')) return this.blob(url, req, body, res);
    res.writeHead(404).end();
  }

  private twirp(pathname: string, req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const reply = (status: number, data: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(data));
    };
    const error = (status: number, code: string, msg: string) => reply(status, { code, msg });
    if (req.headers.authorization !== `Bearer ${this.token}`)
      return error(401, 'unauthenticated', 'invalid runtime token');
    const method = /^\/twirp\/github\.actions\.results\.api\.v1\.ArtifactService\/(\w+)$/.exec(pathname)?.[1];
    const input = JSON.parse(body.toString() || '{}') as Record<string, string | undefined>;
    if (input.workflow_run_backend_id !== this.runId || input.workflow_job_run_backend_id !== this.jobId) {
      return error(403, 'permission_denied', 'backend ids do not match the token');
    }
    const inRun = this.artifacts.filter((a) => a.runId === this.runId);
    switch (method) {
      case 'CreateArtifact': {
        if (!input.name) return error(400, 'invalid_argument', 'name is required');
        const lingers = this.lingering.get(input.name) ?? 0;
        if (lingers > 0) this.lingering.set(input.name, lingers - 1);
        if (lingers > 0 || inRun.some((a) => a.name === input.name && a.finalized))
          return error(409, 'already_exists', `an artifact named ${input.name} already exists in this run`);
        const key = `${this.runId}/${this.jobId}/${encodeURIComponent(input.name)}.zip`;
        this.blocks.set(key, new Map());
        this.blobs.delete(key);
        const expiry = new Date(Date.now() + 3600_000).toISOString();
        return reply(200, {
          ok: true,
          signed_upload_url: `${this.url}/devstoreaccount1/actions-results/${key}?sv=2023-11-03&se=${encodeURIComponent(expiry)}&sr=b&sp=cw&sig=${this.signature}`,
        });
      }
      case 'FinalizeArtifact': {
        const blob = this.blobs.get(`${this.runId}/${this.jobId}/${encodeURIComponent(input.name ?? '')}.zip`);
        if (!blob) return error(404, 'not_found', 'no blob was committed for this artifact');
        const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
        if (String(blob.length) !== input.size || (input.hash && input.hash !== digest))
          return error(400, 'invalid_argument', 'size or hash do not match the blob');
        const artifact: FakeArtifact = {
          id: this.nextId++,
          name: input.name!,
          runId: this.runId,
          jobId: this.jobId,
          size: blob.length,
          digest,
          data: blob,
          finalized: true,
        };
        this.artifacts.push(artifact);
        return reply(200, { ok: true, artifact_id: String(artifact.id) });
      }
      case 'ListArtifacts': {
        const listed = inRun.filter((a) => !input.name_filter || a.name === input.name_filter);
        return reply(200, {
          artifacts: listed.map((a) => ({
            workflow_run_backend_id: a.runId,
            workflow_job_run_backend_id: a.jobId,
            database_id: String(a.id),
            name: a.name,
            size: String(a.size),
            created_at: new Date().toISOString(),
            digest: a.digest,
          })),
        });
      }
      case 'DeleteArtifact': {
        const artifact = inRun.find((a) => a.name === input.name);
        if (!artifact) return error(404, 'not_found', `no artifact named ${input.name}`);
        this.artifacts.splice(this.artifacts.indexOf(artifact), 1);
        if (this.conflictsAfterDelete > 0) this.lingering.set(artifact.name, this.conflictsAfterDelete);
        return reply(200, { ok: true, artifact_id: String(artifact.id) });
      }
      default:
        return error(404, 'bad_route', `no method ${method}`);
    }
  }

  private blob(url: URL, req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const xmlError = (status: number, code: string) => {
      res.writeHead(status, { 'content-type': 'application/xml', 'x-ms-error-code': code });
      res.end(`<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`);
    };
    if (url.searchParams.get('sig') !== this.signature) return xmlError(403, 'AuthenticationFailed');
    const key = decodeURIComponent(url.pathname)
      .replace('/devstoreaccount1/actions-results/', '')
      .replace(/[^/]+$/, (name) => encodeURIComponent(name));
    const staged = this.blocks.get(key);
    if (req.method !== 'PUT' || !staged) return xmlError(404, 'BlobNotFound');
    const created = (extra: Record<string, string> = {}) => {
      res.writeHead(201, {
        'x-ms-request-id': randomBytes(8).toString('hex'),
        'x-ms-version': '2023-11-03',
        'x-ms-request-server-encrypted': 'true',
        date: new Date().toUTCString(),
        ...extra,
      });
      res.end();
    };
    if (url.searchParams.get('comp') === 'block') {
      staged.set(url.searchParams.get('blockid') ?? '', body);
      return created();
    }
    if (url.searchParams.get('comp') === 'blocklist') {
      const ids = [...body.toString().matchAll(/<(?:Latest|Uncommitted|Committed)>([^<]*)<\//g)].map((m) => m[1]!);
      if (ids.some((id) => !staged.has(id))) return xmlError(400, 'InvalidBlockList');
      this.blobs.set(key, Buffer.concat(ids.map((id) => staged.get(id)!)));
      return created({ etag: `"0x${randomBytes(8).toString('hex')}"`, 'last-modified': new Date().toUTCString() });
    }
    xmlError(400, 'InvalidQueryParameterValue');
  }
}
