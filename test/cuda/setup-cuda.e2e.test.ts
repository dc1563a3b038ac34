import * as tc from '@actions/tool-cache';
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Inputs } from '../../src/core/step';
import { torchExtensionComponents } from '../../src/cuda/components';
import { setupCuda, toolCacheKey, type SetupRequest } from '../../src/cuda/setup';
import { check, step } from '../../src/steps/setup-cuda';
import { buildRedistTree, FakeRedist, listTree, type RedistTree } from '../fakes/redist';
import { recordingContext } from '../helpers/context';

// A redist tree made from this machine's CUDA 13.0 (installed from NVIDIA's pip wheels), served
// on loopback, installed from as a runner would: real archives, real xz, real nvcc.
const CUDA_ROOT = '/usr/local/cuda-13.0';
const run = promisify(execFile);
const globals = globalThis as Record<string, unknown>;

let tree: RedistTree;
let server: FakeRedist;
let scratch: string;

beforeAll(async () => {
  tree = await buildRedistTree(CUDA_ROOT, '13.0.2', torchExtensionComponents(13, 'linux-x86_64'));
  server = await new FakeRedist([tree]).start();
  scratch = await mkdtemp(path.join(os.tmpdir(), 'sagewheels-cuda-e2e-'));
  // tool-cache waits 10-20 s between attempts; its test hooks (globals, not env vars) shorten that.
  globals.TEST_DOWNLOAD_TOOL_RETRY_MIN_SECONDS = 0;
  globals.TEST_DOWNLOAD_TOOL_RETRY_MAX_SECONDS = 0;
});

afterAll(async () => {
  await server?.stop();
  delete globals.TEST_DOWNLOAD_TOOL_RETRY_MIN_SECONDS;
  delete globals.TEST_DOWNLOAD_TOOL_RETRY_MAX_SECONDS;
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

beforeEach(() => {
  server.requests.length = 0;
  server.clearFaults();
});

const newCache = () => mkdtemp(path.join(scratch, 'toolcache-'));

const request = (toolCache: string, fields: Partial<SetupRequest> = {}): SetupRequest =>
  server.request(toolCache, scratch, fields);

/** What a tool cache holds: <tool>/<version>/<entry> (toolkits, markers, locks, staging folders). */
async function leftovers(cache: string): Promise<string[]> {
  return (await listTree(cache))
    .filter((entry) => entry.split('/').filter(Boolean).length === 3)
    .map((e) => e.replace(/\/$/, ''));
}

async function runStep(raw: Record<string, string>, toolCache: string) {
  vi.stubEnv('RUNNER_TOOL_CACHE', toolCache);
  vi.stubEnv('RUNNER_TEMP', scratch);
  const ctx = recordingContext();
  try {
    const outputs = await step.run(new Inputs(step.spec, raw), ctx);
    return { outputs, ctx };
  } finally {
    vi.unstubAllEnvs();
  }
}

describe('setup-cuda from a loopback redist tree', () => {
  let cache: string;
  let root: string;

  it('installs the torch-extension set; the cached nvcc prints its version and compiles a kernel', async () => {
    cache = await newCache();
    const { outputs, ctx } = await runStep(
      { 'cuda-version': '13.0', method: 'redist', 'mirror-url': server.mirrorUrl },
      cache,
    );
    root = outputs['cuda-path'];

    const key = toolCacheKey('13.0.2', 'linux-x86_64', torchExtensionComponents(13, 'linux-x86_64'));
    expect(outputs).toEqual({
      'cuda-version': '13.0.2',
      'cuda-path': path.join(cache, 'cuda', '13.0.2', key.arch),
      'nvcc-path': path.join(cache, 'cuda', '13.0.2', key.arch, 'bin', 'nvcc'),
      source: 'download',
      'cache-hit': 'false',
    });
    // Saved where @actions/tool-cache looks it up, under the same key.
    vi.stubEnv('RUNNER_TOOL_CACHE', cache);
    expect(tc.find(key.tool, key.version, key.arch)).toBe(root);
    vi.unstubAllEnvs();

    // "13.0" was resolved through the tree's index; each archive was fetched once.
    expect(server.requests.map((r) => r.path)).toContain('/compute/cuda/redist/');
    expect(
      server
        .archiveRequests()
        .map((r) => path.basename(r.path))
        .sort(),
    ).toEqual(tree.archives.map((a) => path.basename(a.relativePath)).sort());

    const version = await run(outputs['nvcc-path'], ['--version']);
    expect(version.stdout).toMatch(/release 13\.0, V13\.0\.88/);
    const source = path.join(scratch, 'kernel.cu');
    await writeFile(
      source,
      '#include <cuda_runtime.h>\n#include <cuda/std/type_traits>\n__global__ void twice(float* x) { x[threadIdx.x] *= 2; }\n',
    );
    await run(outputs['nvcc-path'], ['-arch=sm_90', '-c', source, '-o', path.join(scratch, 'kernel.o')]);
    expect(existsSync(path.join(scratch, 'kernel.o'))).toBe(true);

    // The merged prefix: lib64 beside lib, every component's license, NVIDIA's version.json shape.
    expect(await readlink(path.join(root, 'lib64'))).toBe('lib');
    expect(existsSync(path.join(root, 'lib64', 'libcudart.so.13'))).toBe(true);
    expect(await readlink(path.join(root, 'lib', 'libcudart.so'))).toBe('libcudart.so.13');
    expect(existsSync(path.join(root, 'nvvm', 'bin', 'cicc'))).toBe(true);
    expect(existsSync(path.join(root, 'include', 'crt', 'host_config.h'))).toBe(true);
    expect(existsSync(path.join(root, 'licenses', 'libnvvm', 'LICENSE'))).toBe(true);
    const versions = JSON.parse(await readFile(path.join(root, 'version.json'), 'utf8'));
    expect(versions.cuda).toEqual({ name: 'CUDA SDK', version: '13.0.2' });
    expect(versions.cuda_nvcc).toEqual({ name: 'CUDA NVCC', version: '13.0.88' });

    expect(ctx.exported).toMatchObject({ CUDA_PATH: root, CUDA_HOME: root, CUDA_PATH_V13_0: root });
    expect(ctx.exported.LD_LIBRARY_PATH!.split(':')[0]).toBe(path.join(root, 'lib64'));
    expect(ctx.paths).toEqual([path.join(root, 'bin')]);
    expect(ctx.text()).toMatch(/cuda_nvcc 13\.0\.88: [\d.]+ MB in [\d.]+ s, size and sha256 verified/);
    const summary = JSON.stringify(ctx.summary);
    expect(summary).toContain('download (redist)');
    expect(summary).toContain('cuda_crt 13.0.88');
    expect(await leftovers(cache)).toEqual([`cuda/13.0.2/${key.arch}`, `cuda/13.0.2/${key.arch}.complete`]);
  });

  it('finds it again without downloading anything: an exact version asks the tree for nothing at all', async () => {
    const exact = await runStep({ 'cuda-version': '13.0.2', method: 'redist', 'mirror-url': server.mirrorUrl }, cache);
    expect(exact.outputs).toMatchObject({
      'cuda-path': root,
      source: 'cache',
      'cache-hit': 'true',
      'cuda-version': '13.0.2',
    });
    expect(server.requests).toEqual([]);

    const newest = await runStep({ 'cuda-version': '13.0', method: 'redist', 'mirror-url': server.mirrorUrl }, cache);
    expect(newest.outputs).toMatchObject({ 'cuda-path': root, source: 'cache' });
    expect(server.requests.map((r) => r.path)).toEqual(['/compute/cuda/redist/']);
    expect(JSON.stringify(newest.ctx.summary)).toContain('cuda_nvcc 13.0.88');
  });

  it('keys the cache by component set: another set is installed beside it, not served by it', async () => {
    const result = await setupCuda(request(cache, { components: ['cuda_crt'] }), { log: recordingContext().log });
    expect(result.source).toBe('download');
    expect(result.root).not.toBe(root);
    expect(result.nvcc).toBe('');
    expect(server.archiveRequests().map((r) => path.basename(r.path))).toEqual([
      'cuda_crt-linux-x86_64-13.0.88-archive.tar.xz',
    ]);
  });
});

describe('setup-cuda when downloads go wrong', () => {
  const crt = 'cuda_crt-linux-x86_64-13.0.88-archive.tar.xz';
  const small = ['cuda_crt', 'cuda_cccl'];

  it('refuses a corrupt archive with a checksum error and caches nothing', async () => {
    const cache = await newCache();
    server.fault(crt, 'corrupt');
    await expect(setupCuda(request(cache, { components: small }), { log: recordingContext().log })).rejects.toThrow(
      /cuda_crt-linux-x86_64-13\.0\.88-archive\.tar\.xz: sha256 checksum mismatch \(expected [0-9a-f]{64}, got [0-9a-f]{64}\)/,
    );
    expect(await leftovers(cache)).toEqual([]);
  });

  it('retries a 500 and a reset mid-download, then installs', async () => {
    const cache = await newCache();
    server.fault(crt, 'status-500');
    server.fault('cuda_cccl-linux-x86_64-13.0.85-archive.tar.xz', 'reset');
    const result = await setupCuda(request(cache, { components: small }), { log: recordingContext().log });
    expect(result.source).toBe('download');
    expect(server.archiveRequests().filter((r) => r.path.endsWith(crt))).toHaveLength(2);
    expect(server.archiveRequests().filter((r) => r.path.includes('cuda_cccl'))).toHaveLength(2);
    expect(existsSync(path.join(result.root, 'include', 'crt', 'host_config.h'))).toBe(true);
  });

  it('retries a body that ends cleanly but short of the manifest size', async () => {
    const cache = await newCache();
    server.fault(crt, 'short');
    const result = await setupCuda(request(cache, { components: ['cuda_crt'] }), { log: recordingContext().log });
    expect(result.source).toBe('download');
    expect(server.archiveRequests()).toHaveLength(2);
  });

  it('reports a 500 that does not go away, after three attempts, and caches nothing', async () => {
    const cache = await newCache();
    server.fault(crt, 'status-500', 3);
    await expect(setupCuda(request(cache, { components: small }), { log: recordingContext().log })).rejects.toThrow(
      `download of ${server.mirrorUrl}cuda_crt/linux-x86_64/${crt} failed after 3 attempts: Unexpected HTTP response: 500`,
    );
    expect(server.archiveRequests().filter((r) => r.path.endsWith(crt))).toHaveLength(3);
    expect(await leftovers(cache)).toEqual([]);
  });

  it('reports connections that keep dropping mid-download, and caches nothing', async () => {
    const cache = await newCache();
    server.fault(crt, 'reset', 3);
    await expect(setupCuda(request(cache, { components: small }), { log: recordingContext().log })).rejects.toThrow(
      new RegExp(`download of .*${crt} failed after 3 attempts: (aborted|socket hang up|.*ECONNRESET)`),
    );
    expect(await leftovers(cache)).toEqual([]);
  });

  it('cuts off a body larger than the manifest says, at that size, without retrying', async () => {
    const size = tree.archives.find((a) => a.component === 'cuda_crt')!.size;
    for (const kind of ['flood', 'flood-announced'] as const) {
      const cache = await newCache();
      server.requests.length = 0;
      server.fault(crt, kind);
      await expect(
        setupCuda(request(cache, { components: ['cuda_crt'] }), { log: recordingContext().log }),
      ).rejects.toThrow(
        kind === 'flood'
          ? `download of ${server.mirrorUrl}cuda_crt/linux-x86_64/${crt} failed: more than the ${size} bytes the manifest says arrived; the rest was not read`
          : `failed: the server announces 300000000 bytes, the manifest says ${size}`,
      );
      expect(server.archiveRequests()).toHaveLength(1);
      // What the server got out before the client hung up: socket buffers, not 300 MB.
      expect(server.flooded.get(`/compute/cuda/redist/cuda_crt/linux-x86_64/${crt}`)).toBeLessThan(size + 16e6);
      expect(await leftovers(cache)).toEqual([]);
    }
  });

  it('logs the bytes of a slow download as they arrive', async () => {
    const cache = await newCache();
    server.fault('cuda_cccl-linux-x86_64-13.0.85-archive.tar.xz', 'slow');
    const ctx = recordingContext();
    await setupCuda(request(cache, { components: ['cuda_cccl'] }), { log: ctx.log, progressMs: 100 });
    expect(ctx.text()).toMatch(/downloading: cuda_cccl [\d.]+ MB of [\d.]+ MB/);
  });
});

describe('setup-cuda with other jobs and inputs', () => {
  it('gives two concurrent installs of one version one toolkit', async () => {
    const cache = await newCache();
    const lock = { pollMs: 50 };
    const [a, b] = await Promise.all([
      setupCuda(request(cache, { components: ['cuda_crt', 'cuda_cccl'] }), { log: recordingContext().log, lock }),
      setupCuda(request(cache, { components: ['cuda_cccl', 'cuda_crt'] }), { log: recordingContext().log, lock }),
    ]);
    expect(a.root).toBe(b.root);
    expect([a.source, b.source].sort()).toEqual(['cache', 'download']);
    expect(server.archiveRequests()).toHaveLength(2);
    expect(await leftovers(cache)).toEqual([
      `cuda/13.0.2/${path.basename(a.root)}`,
      `cuda/13.0.2/${path.basename(a.root)}.complete`,
    ]);
  });

  it('refuses an install-dir that is a file before any request, and keeps the file', async () => {
    const file = path.join(await newCache(), 'n.txt');
    await writeFile(file, 'data\n');
    await expect(
      setupCuda(request('', { cudaVersion: '12.8.1', installDir: file, toolCache: undefined }), {
        log: recordingContext().log,
      }),
    ).rejects.toThrow(`install-dir: ${file} is a file, not a folder`);
    expect(await readFile(file, 'utf8')).toBe('data\n');
    expect(server.requests).toEqual([]);
  });

  it('checks every input before the first request, and the step offers that check alone', async () => {
    const refused: [Partial<SetupRequest>, string][] = [
      [{ toolCache: undefined }, 'install-dir: is empty and RUNNER_TOOL_CACHE is not set'],
      [{ cudaVersion: '13' }, 'cuda-version: "13" is not a CUDA version'],
      [{ components: ['cuda nvcc'] }, 'components: "cuda nvcc" is not a set or a component name'],
      [{ mirrorUrl: 'file:///srv/cuda' }, 'mirror-url: "file:///srv/cuda" is not an http(s) URL'],
      [
        { mirrorUrl: 'https://me:s3cret@mirror.example/redist/' },
        'mirror-url: "https://mirror.example/redist/" carries a user name or password',
      ],
      [{ platform: 'linux-ppc64le' }, 'platform: "linux-ppc64le" is not a platform NVIDIA publishes CUDA for'],
    ];
    for (const [fields, message] of refused) {
      const error = await setupCuda(request(scratch, fields), { log: recordingContext().log }).catch((e: Error) => e);
      expect((error as Error).message).toContain(message);
      expect((error as Error).message).not.toContain('s3cret');
    }
    const file = path.join(scratch, 'a-file');
    await writeFile(file, 'x');
    // The path reader refuses it as the inputs are read.
    expect(
      () => new Inputs(step.spec, { 'cuda-version': '12.8', 'mirror-url': server.mirrorUrl, 'install-dir': file }),
    ).toThrow(`install-dir: "${file}" is a file, not a folder`);
    await expect(
      check(new Inputs(step.spec, { 'cuda-version': '12.8', 'mirror-url': server.mirrorUrl })),
    ).resolves.toBeUndefined();
    expect(server.requests).toEqual([]);
  });

  for (const signal of ['SIGTERM', 'SIGINT', 'SIGKILL'] as const) {
    it(`leaves nothing that blocks or slows the next run when ${signal} ends a download`, async () => {
      const cache = await newCache();
      const temp = await mkdtemp(path.join(scratch, 'runner-temp-'));
      server.fault('cuda_crt-linux-x86_64-13.0.88-archive.tar.xz', 'stall');
      const child = spawn(
        process.execPath,
        ['scripts/run-ts.mjs', 'test/cuda/setup-cuda-child.ts', server.mirrorUrl, cache, temp, 'cuda_crt'],
        // A group of its own, as a job's processes are: the signal reaches run-ts and the node it starts.
        { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
      );
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => void (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => void (output += chunk.toString()));
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, s) => resolve(s)));
      await vi.waitFor(() => expect(server.archiveRequests()).toHaveLength(1), { timeout: 20_000, interval: 50 });
      // The lock, the staging folder and the temp folder exist while the download stalls.
      expect((await leftovers(cache)).some((e) => e.endsWith('.lock'))).toBe(true);
      const pid = Number(/^pid (\d+)$/m.exec(output)![1]);
      process.kill(-child.pid!, signal);
      expect(await exited).toBe(signal);
      const alive = () => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      await vi.waitFor(() => expect(alive()).toBe(false), { timeout: 20_000, interval: 50 });

      if (signal !== 'SIGKILL') {
        expect(await leftovers(cache)).toEqual([]);
        expect(await readdir(temp)).toEqual([]);
      }
      const ctx = recordingContext();
      const started = Date.now();
      const next = await setupCuda(request(cache, { components: ['cuda_crt'] }), { log: ctx.log });
      expect(next.source).toBe('download');
      expect(Date.now() - started).toBeLessThan(10_000);
      // What the dead job left (its staging folder) went with the lock it held.
      expect(await leftovers(cache)).toEqual([
        `cuda/13.0.2/${path.basename(next.root)}`,
        `cuda/13.0.2/${path.basename(next.root)}.complete`,
      ]);
      if (signal === 'SIGKILL')
        expect(ctx.text()).toMatch(/taking over the lock .*: its holder, process \d+ on this host, no longer runs/);
      else expect(ctx.text()).not.toMatch(/waiting|lock/);
      expect(output).not.toMatch(/installed/);
    }, 60_000);
  }

  it('lists the versions the tree has when it lacks the one asked for', async () => {
    const cache = await newCache();
    const listing = 'Versions there: 12.6.3, 12.8.1, 12.9.1, 13.0.2';
    await expect(setupCuda(request(cache, { cudaVersion: '12.7' }), { log: recordingContext().log })).rejects.toThrow(
      `cuda-version: 12.7 is not in the redist tree ${server.mirrorUrl}. ${listing}`,
    );
    await expect(setupCuda(request(cache, { cudaVersion: '13.0.9' }), { log: recordingContext().log })).rejects.toThrow(
      listing,
    );
    expect(server.archiveRequests()).toEqual([]);
  });

  it('refuses unknown components, naming those there, before downloading an archive', async () => {
    const cache = await newCache();
    await expect(
      setupCuda(request(cache, { components: ['cuda_nvcc', 'cuda_foo'] }), { log: recordingContext().log }),
    ).rejects.toThrow(
      'components: CUDA 13.0.2 has no cuda_foo for linux-x86_64. Components there: cuda_cccl, cuda_crt, cuda_cudart, cuda_nvcc, libnvvm',
    );
    expect(server.archiveRequests()).toEqual([]);
    expect(await leftovers(cache)).toEqual([]);
  });

  it('installs into install-dir, reuses it, and refuses to reuse it for something else', async () => {
    const dir = path.join(await newCache(), 'my-cuda');
    const first = await setupCuda(request('', { components: ['cuda_crt'], installDir: dir, toolCache: undefined }), {
      log: recordingContext().log,
    });
    expect(first).toMatchObject({ root: dir, source: 'download' });
    const again = await setupCuda(request('', { components: ['cuda_crt'], installDir: dir, toolCache: undefined }), {
      log: recordingContext().log,
    });
    expect(again).toMatchObject({ root: dir, source: 'cache', cacheHit: true });
    await expect(
      setupCuda(request('', { components: ['cuda_cccl'], installDir: dir, toolCache: undefined }), {
        log: recordingContext().log,
      }),
    ).rejects.toThrow(`install-dir: ${dir} holds CUDA 13.0.2 with cuda_crt, not CUDA 13.0.2 with cuda_cccl`);
  });

  it("installs with a runfile from NVIDIA's installer folder, checked against md5sum.txt, and caches it", async () => {
    const cache = await newCache();
    // Stands in for cuda_13.0.2_580.95.05_linux.run: accepts only the flags a root-less toolkit install uses.
    const runfile = [
      '#!/bin/sh',
      'set -e',
      'for a in "$@"; do case "$a" in',
      '  --toolkitpath=*) dir="${a#--toolkitpath=}" ;;',
      '  --silent|--toolkit|--no-man-page|--override|--tmpdir=*) ;;',
      '  *) echo "unknown option $a" >&2; exit 3 ;;',
      'esac; done',
      'mkdir -p "$dir/bin"',
      `cp ${CUDA_ROOT}/bin/nvcc ${CUDA_ROOT}/bin/nvcc.profile "$dir/bin/"`,
      'printf \'{"cuda": {"name": "CUDA SDK", "version": "13.0.2"}}\\n\' > "$dir/version.json"',
      'echo "Toolkit: Installed in $dir"',
      '',
    ].join('\n');
    const md5 = createHash('md5').update(runfile).digest('hex');
    server.files.set('/compute/cuda/13.0.2/local_installers/cuda_13.0.2_580.95.05_linux.run', runfile);
    server.files.set(
      '/compute/cuda/13.0.2/docs/sidebar/md5sum.txt',
      `${md5}  cuda_13.0.2_580.95.05_linux.run\n0123456789abcdef0123456789abcdef  cuda_13.0.2_windows.exe\n`,
    );

    const ctx = recordingContext();
    const result = await setupCuda(request(cache, { cudaVersion: '13.0', method: 'installer' }), { log: ctx.log });
    expect(result).toMatchObject({
      version: '13.0.2',
      source: 'download',
      method: 'installer',
      root: path.join(cache, 'cuda-installer', '13.0.2', 'linux-x86_64'),
    });
    expect((await run(result.nvcc, ['--version'])).stdout).toMatch(/release 13\.0/);
    expect(ctx.text()).toContain('Toolkit: Installed in');
    expect(ctx.text()).toContain("md5 matches NVIDIA's md5sum.txt");

    const again = await setupCuda(request(cache, { cudaVersion: '13.0.2', method: 'installer' }), {
      log: recordingContext().log,
    });
    expect(again).toMatchObject({ root: result.root, source: 'cache' });

    server.files.set('/compute/cuda/13.0.2/local_installers/cuda_13.0.2_580.95.05_linux.run', `${runfile}# altered\n`);
    await expect(
      setupCuda(request(await newCache(), { method: 'installer' }), { log: recordingContext().log }),
    ).rejects.toThrow(`cuda_13.0.2_580.95.05_linux.run: md5 checksum mismatch (expected ${md5}`);
  });
});
