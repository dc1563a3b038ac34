import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { factWheelNames } from '../../scripts/torch-facts';
import { TorchReleases } from '../../src/torch/releases';
import { parseTorchWheel, type TorchWheel } from '../../src/torch/wheels';

/**
 * A loopback stand-in for PyTorch's package index (download.pytorch.org/whl): /whl/torch/ lists every
 * torch wheel, /whl/cu128/torch/ those of one CUDA build, as PEP 691 JSON to a client that asks for
 * it (when `json` is on) and as PEP 503 HTML laid out as PyTorch's pages are otherwise (links with
 * PEP 658 attributes, a TIMESTAMP comment after </html>). Faults, one per request in order: an HTTP status, a body cut off midway (the connection drops), a hang (no answer
 * at all), or a 200 with any body.
 */
export type IndexFault =
  | { kind: 'status'; status: number }
  | { kind: 'truncate' }
  | { kind: 'hang' }
  | { kind: 'body'; body: string; contentType: string };

/**
 * File names in the forms PyTorch's index lists, CUDA and not (CPU, ROCm, XPU, macOS, 1.x, an
 * untagged aarch64 CPU wheel): test/fixtures/pytorch-index. Those up to 2.11 are names of published
 * wheels; the 2.14 one is written in the same form (this machine cannot read the index).
 */
export const REAL_NAMES: readonly string[] = readFileSync(
  path.resolve(import.meta.dirname, '../fixtures/pytorch-index/torch-names.txt'),
  'utf8',
)
  .split('\n')
  .filter(Boolean);

/** Every name of the facts the snapshot script encodes, with the real ones that are not CUDA wheels of 2.5+. */
export const INDEX_NAMES: readonly string[] = [...new Set([...factWheelNames(), ...REAL_NAMES])];

/** The releases those facts make: what tests plan from, whatever the committed snapshot was made from. */
export const FACT_RELEASES = TorchReleases.fromWheels(
  factWheelNames()
    .map(parseTorchWheel)
    .filter((w): w is TorchWheel => w !== undefined),
);

export class FakePytorchIndex {
  readonly requests: { path: string; accept: string }[] = [];
  readonly faults: IndexFault[] = [];
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  constructor(
    public files: readonly string[] = INDEX_NAMES,
    readonly options: { json?: boolean } = {},
  ) {}

  /** The base, as https://download.pytorch.org/whl is. */
  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/whl`;
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      const accept = request.headers.accept ?? '';
      this.requests.push({ path: request.url ?? '', accept });
      const fault = this.faults.shift();
      if (fault?.kind === 'hang') return;
      if (fault?.kind === 'status') return void response.writeHead(fault.status).end('Service Unavailable');
      if (fault?.kind === 'body')
        return void response.writeHead(200, { 'Content-Type': fault.contentType }).end(fault.body);
      const match = /^\/whl\/(?:(cu\d+)\/)?torch\/?$/.exec(request.url ?? '');
      if (!match) return void response.writeHead(404).end('Not Found');
      // A CUDA build's page also lists the wheels without a local label (macOS), as PyTorch's does.
      const files = this.files.filter((name) => !match[1] || name.includes(`+${match[1]}-`) || !name.includes('+'));
      const json = this.options.json && accept.includes('application/vnd.pypi.simple.v1+json');
      const body = json ? jsonPage(files) : htmlPage(files);
      const type = json ? 'application/vnd.pypi.simple.v1+json' : 'text/html';
      if (fault?.kind === 'truncate') return truncate(response, body, type);
      response.writeHead(200, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) }).end(body);
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

const sha256 = (name: string) => createHash('sha256').update(name).digest('hex');
const href = (name: string) => {
  const cuda = /\+(cu\d+)-/.exec(name)?.[1];
  return `/whl/${cuda ? `${cuda}/` : ''}${name.replace('+', '%2B')}#sha256=${sha256(name)}`;
};

/** The page as pytorch/test-infra's s3_management/manage.py writes it (to_simple_package_html). */
function htmlPage(files: readonly string[]): string {
  const metadata = (name: string) => `sha256=${sha256(`${name}.metadata`)}`;
  return [
    '<!DOCTYPE html>',
    '<html>',
    '  <body>',
    '    <h1>Links for torch</h1>',
    ...files.map(
      (name) =>
        `    <a href="${href(name)}" data-dist-info-metadata="${metadata(name)}" data-core-metadata="${metadata(name)}">${name}</a><br/>`,
    ),
    '  </body>',
    '</html>',
    '<!--TIMESTAMP 1764460800-->',
  ].join('\n');
}

function jsonPage(files: readonly string[]): string {
  return JSON.stringify({
    meta: { 'api-version': '1.1' },
    name: 'torch',
    files: files.map((name) => ({ filename: name, url: href(name).split('#')[0], hashes: { sha256: sha256(name) } })),
  });
}

/** Announces the whole body, sends half of it, and drops the connection. */
function truncate(response: ServerResponse, body: string, type: string): void {
  const bytes = Buffer.from(body);
  response.writeHead(200, { 'Content-Type': type, 'Content-Length': bytes.length });
  response.write(bytes.subarray(0, bytes.length >> 1), () => response.socket?.destroy());
}
