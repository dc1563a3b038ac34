import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile, readlink, rename, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { RedistPlatform } from '../../src/cuda/platform';
import type { SetupRequest } from '../../src/cuda/request';

/**
 * A loopback stand-in for NVIDIA's redist tree (developer.download.nvidia.com/compute/cuda/redist/),
 * made from this machine's CUDA 13.0, which was installed from NVIDIA's pip wheels: each wheel's
 * dist-info RECORD says which files belong to which redist component. Archives are laid out as
 * NVIDIA's are (<component>-linux-x86_64-<version>-archive/{bin,include,lib,nvvm}, LICENSE, .so
 * symlinks), compressed with xz, and listed in a redistrib_<release>.json that copies the real
 * manifest's fields. The server speaks plain HTTP with Content-Length, an Apache-style index, and
 * the faults a download really meets: 5xx, a connection reset mid-body, corrupt bytes, slow bodies.
 */

const run = promisify(execFile);
const fixtures = path.resolve(import.meta.dirname, '../fixtures/cuda-redist');

/** The pip wheel of each redist component: nvidia_cuda_runtime carries cuda_cudart, nvidia_nvvm libnvvm. */
const componentOfWheel = (wheel: string): string =>
  ({ nvidia_cuda_runtime: 'cuda_cudart', nvidia_nvvm: 'libnvvm', nvidia_nvtx: 'cuda_nvtx' })[wheel] ??
  wheel.replace(/^nvidia_/, '');

export interface BuiltArchive {
  component: string;
  version: string;
  relativePath: string;
  file: string;
  sha256: string;
  md5: string;
  size: number;
}

export interface RedistTree {
  release: string;
  platform: RedistPlatform;
  archives: BuiltArchive[];
  /** redistrib_<release>.json as served. */
  manifest: string;
}

/**
 * Builds (once per machine: kept in the temp folder, keyed by what it is made of) the archives of
 * the given components from a pip-installed CUDA root such as /usr/local/cuda-13.0.
 */
export async function buildRedistTree(
  cudaRoot: string,
  release: string,
  components: readonly string[],
): Promise<RedistTree> {
  const distInfo = path.join(cudaRoot, 'dist-info');
  const wheels = new Map<string, { version: string; record: string }>();
  for (const name of await readdir(distInfo)) {
    const match = /^(.+)-([\d.]+)\.dist-info$/.exec(name);
    if (match)
      wheels.set(componentOfWheel(match[1]!), { version: match[2]!, record: path.join(distInfo, name, 'RECORD') });
  }
  const missing = components.filter((c) => !wheels.has(c));
  if (missing.length > 0) throw new Error(`${cudaRoot} has no wheel for ${missing.join(', ')}`);

  const key = createHash('sha256')
    .update(JSON.stringify({ cudaRoot, release, components, wheels: [...wheels], format: 2 }))
    .digest('hex')
    .slice(0, 12);
  const dir = path.join(os.tmpdir(), 'sagewheels-fake-redist', key);
  const treeFile = path.join(dir, 'tree.json');
  if (existsSync(treeFile)) return JSON.parse(await readFile(treeFile, 'utf8')) as RedistTree;

  const building = `${dir}.building-${process.pid}-${Date.now()}`;
  await mkdir(building, { recursive: true });
  const real = JSON.parse(await readFile(path.join(fixtures, `redistrib_${release}.json`), 'utf8')) as Record<
    string,
    Record<string, unknown>
  >;
  const manifest: Record<string, unknown> = {
    release_date: real.release_date,
    release_label: release,
    release_product: 'cuda',
  };
  const built = await Promise.all(
    components.map((c) => buildArchive(cudaRoot, c, wheels.get(c)!.version, wheels.get(c)!.record, building)),
  );
  for (const archive of built) {
    const { name, license, license_path } = real[archive.component] ?? {
      name: archive.component,
      license: 'CUDA Toolkit',
      license_path: '',
    };
    manifest[archive.component] = {
      name,
      license,
      license_path,
      version: archive.version,
      'linux-x86_64': {
        relative_path: archive.relativePath,
        sha256: archive.sha256,
        md5: archive.md5,
        size: String(archive.size),
      },
    };
  }
  const archives = built.map((a) => ({ ...a, file: path.join(dir, path.relative(building, a.file)) }));
  const tree: RedistTree = {
    release,
    platform: 'linux-x86_64',
    archives,
    manifest: `${JSON.stringify(manifest, null, 4)}\n`,
  };
  await writeFile(path.join(building, 'tree.json'), JSON.stringify(tree));
  await rename(building, dir).catch(async () => rm(building, { recursive: true, force: true })); // another worker won
  return JSON.parse(await readFile(treeFile, 'utf8')) as RedistTree;
}

async function buildArchive(
  cudaRoot: string,
  component: string,
  version: string,
  record: string,
  out: string,
): Promise<BuiltArchive> {
  const top = `${component}-linux-x86_64-${version}-archive`;
  const files = (await readFile(record, 'utf8'))
    .split('\n')
    .map((line) => line.split(',')[0]!)
    .filter((f) => f.startsWith('nvidia/cu13/') && !f.startsWith('nvidia/cu13/.metadata/'))
    .map((f) => f.slice('nvidia/cu13/'.length));
  // The real archives carry the unversioned .so symlinks that the wheels leave out.
  for (const file of files.filter((f) => /^lib\/lib[^/]+\.so\.\d+$/.test(f))) {
    const link = file.replace(/\.so\.\d+$/, '.so');
    const target = await readlink(path.join(cudaRoot, link)).catch(() => undefined);
    if (target === path.basename(file)) files.push(link);
  }
  const work = path.join(out, 'work', component);
  await mkdir(work, { recursive: true });
  await writeFile(
    path.join(work, 'LICENSE'),
    `${component}: stands in for NVIDIA's license file in sagewheels' tests\n`,
  );
  await writeFile(path.join(work, 'files'), `${files.join('\n')}\n`);
  // libnvvm's archive nests its parts under nvvm/, as NVIDIA's does; the wheel has them at the top.
  const moves = component === 'libnvvm' ? ['s,^lib/,nvvm/lib64/,rSH', 's,^include/,nvvm/include/,rSH'] : [];
  const relativePath = `${component}/linux-x86_64/${top}.tar.xz`;
  const file = path.join(out, relativePath);
  await mkdir(path.dirname(file), { recursive: true });
  const tar = [
    'tar',
    '-cf',
    '-',
    '--owner=0',
    '--group=0',
    '--numeric-owner',
    '--sort=name',
    ...moves.flatMap((m) => ['--transform', m]),
    '--transform',
    `s,^,${top}/,rSH`,
    '-C',
    cudaRoot,
    '-T',
    path.join(work, 'files'),
    '-C',
    work,
    'LICENSE',
  ];
  await run('bash', ['-c', 'set -o pipefail; "$@" | xz -0 -T0 > "$OUT"', 'bash', ...tar], {
    env: { ...process.env, OUT: file },
    maxBuffer: 1 << 20,
  });
  const data = await readFile(file);
  return {
    component,
    version,
    relativePath,
    file,
    sha256: createHash('sha256').update(data).digest('hex'),
    md5: createHash('md5').update(data).digest('hex'),
    size: data.length,
  };
}

/**
 * flood: 300 MB of bytes without a length, as a broken mirror or proxy might send; flood-announced:
 * the same with a Content-Length of 300 MB; stall: half the body, then nothing until the client hangs up;
 * short: half the body without a length, ended cleanly, as a proxy that dropped the rest might;
 * rate-limited: 429 with `RateLimit: "cdn";r=0;t=1`; rate-limited-day: 429 with `Retry-After: 86400`.
 */
export type FaultKind =
  | 'status-500'
  | 'reset'
  | 'corrupt'
  | 'slow'
  | 'stall'
  | 'short'
  | 'flood'
  | 'flood-announced'
  | 'rate-limited'
  | 'rate-limited-day';

export interface Request {
  method: string;
  path: string;
}

export class FakeRedist {
  readonly requests: Request[] = [];
  /** Extra files by URL path (installers, md5sum.txt). */
  readonly files = new Map<string, Buffer | string>();
  /** Bytes a flood fault wrote before the client hung up, by URL path. */
  readonly flooded = new Map<string, number>();
  private faults: { match: (p: string) => boolean; kind: FaultKind; left: number }[] = [];
  private server?: Server;
  url = '';

  constructor(readonly trees: readonly RedistTree[]) {}

  /** The mirror-url to give setup-cuda. */
  get mirrorUrl(): string {
    return `${this.url}/compute/cuda/redist/`;
  }

  /** A setup-cuda request for the first tree's release from this server, by the redist method. */
  request(toolCache: string | undefined, tempDir: string, fields: Partial<SetupRequest> = {}): SetupRequest {
    return {
      cudaVersion: this.trees[0]!.release,
      method: 'redist',
      components: ['torch-extension'],
      mirrorUrl: this.mirrorUrl,
      toolCache,
      tempDir,
      platform: this.trees[0]!.platform,
      ...fields,
    };
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res).catch(() => res.destroy()));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The next `times` requests whose path ends with `suffix` meet the fault. */
  fault(suffix: string, kind: FaultKind, times = 1): void {
    this.faults.push({ match: (p) => p.endsWith(suffix), kind, left: times });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Requests for archives (not the index or manifests). */
  archiveRequests(): Request[] {
    return this.requests.filter((r) => r.path.endsWith('.tar.xz') || r.path.endsWith('.zip'));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const urlPath = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    this.requests.push({ method: req.method ?? 'GET', path: urlPath });
    const body = await this.resolve(urlPath);
    if (body === undefined) {
      res.writeHead(404, { 'content-type': 'text/html' }).end('<html><body><h1>404 Not Found</h1></body></html>');
      return;
    }
    const fault = this.faults.find((f) => f.left > 0 && f.match(urlPath));
    if (fault) fault.left--;
    const data = typeof body === 'string' ? Buffer.from(body) : body;
    if (fault?.kind === 'flood' || fault?.kind === 'flood-announced') {
      await this.flood(urlPath, res, fault.kind === 'flood-announced');
      return;
    }
    if (fault?.kind === 'short') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(data.subarray(0, data.length >> 1));
      return;
    }
    if (fault?.kind === 'rate-limited' || fault?.kind === 'rate-limited-day') {
      res.writeHead(429, {
        'content-type': 'text/plain',
        ...(fault.kind === 'rate-limited' ? { ratelimit: '"cdn";r=0;t=1' } : { 'retry-after': '86400' }),
      });
      res.end('Too Many Requests');
      return;
    }
    if (fault?.kind === 'status-500') {
      res.writeHead(500, { 'content-type': 'text/html' }).end('<html><body>500 Internal Server Error</body></html>');
      return;
    }
    res.writeHead(200, {
      'content-type': urlPath.endsWith('/') ? 'text/html' : 'application/octet-stream',
      'content-length': data.length,
    });
    const half = Math.floor(data.length / 2);
    if (fault?.kind === 'reset') {
      res.write(data.subarray(0, half), () => res.socket?.destroy());
      return;
    }
    if (fault?.kind === 'corrupt') {
      const copy = Buffer.from(data);
      copy[half] = copy[half]! ^ 0xff;
      res.end(copy);
      return;
    }
    if (fault?.kind === 'stall') {
      res.write(data.subarray(0, half));
      return;
    }
    if (fault?.kind === 'slow') {
      res.write(data.subarray(0, half));
      await new Promise((resolve) => setTimeout(resolve, 600));
      res.end(data.subarray(half));
      return;
    }
    res.end(data);
  }

  private async flood(urlPath: string, res: ServerResponse, announce: boolean): Promise<void> {
    const total = 300e6;
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      ...(announce ? { 'content-length': total } : {}),
    });
    const chunk = Buffer.alloc(64 * 1024, 0x5a);
    let sent = 0;
    const closed = new Promise((resolve) => res.once('close', resolve));
    while (sent < total && !res.destroyed && !res.writableEnded) {
      sent += chunk.length;
      if (!res.write(chunk)) await Promise.race([new Promise((resolve) => res.once('drain', resolve)), closed]);
    }
    this.flooded.set(urlPath, sent);
    if (!res.destroyed) res.end();
  }

  private async resolve(urlPath: string): Promise<Buffer | string | undefined> {
    const extra = this.files.get(urlPath);
    if (extra !== undefined) return typeof extra === 'string' ? extra : extra;
    const prefix = '/compute/cuda/redist/';
    if (!urlPath.startsWith(prefix)) return undefined;
    const rel = urlPath.slice(prefix.length);
    if (rel === '') return this.index();
    const fixture = /^redistrib_(\d+\.\d+\.\d+)\.json$/.exec(rel);
    if (fixture) {
      const tree = this.trees.find((t) => t.release === fixture[1]);
      if (tree) return tree.manifest;
      const file = path.join(fixtures, rel);
      return existsSync(file) ? readFile(file) : undefined;
    }
    const archive = this.trees.flatMap((t) => t.archives).find((a) => a.relativePath === rel);
    return archive ? readFile(archive.file) : undefined;
  }

  /** An Apache-style listing, as NVIDIA's tree serves: component folders and every manifest. */
  private async index(): Promise<string> {
    const manifests = new Set([
      ...(await readdir(fixtures)).filter((f) => f.startsWith('redistrib_')),
      ...this.trees.map((t) => `redistrib_${t.release}.json`),
    ]);
    const folders = [...new Set(this.trees.flatMap((t) => t.archives.map((a) => a.component)))];
    const rows = [...folders.map((f) => `${f}/`), ...[...manifests].sort()].map(
      (name) => `<a href="${name}">${name}</a>`,
    );
    return `<html><head><title>Index of /compute/cuda/redist</title></head><body><h1>Index of /compute/cuda/redist</h1><pre>${rows.join('\n')}</pre></body></html>\n`;
  }
}

/** Files of a tree, for assertions: every path below root with its kind. */
export async function listTree(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const full = path.join(dir, name);
      const info = await lstat(full);
      out.push(
        path.relative(root, full) +
          (info.isSymbolicLink() ? ` -> ${await readlink(full)}` : info.isDirectory() ? '/' : ''),
      );
      if (info.isDirectory()) await walk(full);
    }
  };
  await walk(root);
  return out;
}
