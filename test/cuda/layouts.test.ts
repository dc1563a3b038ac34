import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Inputs } from '../../src/core/step';
import { expandComponents } from '../../src/cuda/components';
import { parseManifest } from '../../src/cuda/manifest';
import type { RedistPlatform } from '../../src/cuda/platform';
import { setupCuda } from '../../src/cuda/setup';
import { step } from '../../src/steps/setup-cuda';
import { buildLayoutTree } from '../fakes/redist-layouts';
import { FakeRedist, listTree } from '../fakes/redist';
import { recordingContext } from '../helpers/context';

// Every release and platform setup-cuda claims, installed as a runner would from a loopback tree of
// archives laid out as NVIDIA's (test/fakes/redist-layouts.ts), with NVIDIA's own manifests; the
// toolkit that results is checked where nvcc and PyTorch's cpp_extension look. nvcc there is a
// stand-in script (these are other versions, aarch64 or Windows builds); setup-cuda.e2e.test.ts
// runs the real nvcc 13.0 of this machine against a tree made from its own files.
const run = promisify(execFile);
const fixtures = path.resolve(import.meta.dirname, '../fixtures/cuda-redist');
const RELEASES = ['12.6.3', '12.8.1', '12.9.1', '13.0.2', '13.2.2'];
/** Platforms as the runner reports them (RUNNER_OS, RUNNER_ARCH). */
const RUNNERS: { platform: RedistPlatform; os: string; arch: string }[] = [
  { platform: 'linux-x86_64', os: 'Linux', arch: 'X64' },
  { platform: 'linux-sbsa', os: 'Linux', arch: 'ARM64' },
  { platform: 'windows-x86_64', os: 'Windows', arch: 'X64' },
];

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'sagewheels-cuda-layouts-'));
});
afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const manifestOf = async (release: string) =>
  parseManifest(await readFile(path.join(fixtures, `redistrib_${release}.json`), 'utf8'), release);

/** Where nvcc (through nvcc.profile) and torch.utils.cpp_extension look, per platform and CUDA major. */
function expectedFiles(platform: RedistPlatform, major: number, mm: string): string[] {
  const windows = platform === 'windows-x86_64';
  const exe = (name: string) => (windows ? `${name}.exe` : name);
  const cccl = major >= 13 ? 'include/cccl' : 'include';
  const files = [
    ...['nvcc', 'ptxas', 'fatbinary', 'nvlink', 'cudafe++'].map((t) => `bin/${exe(t)}`),
    'bin/nvcc.profile',
    `nvvm/bin/${exe('cicc')}`,
    'nvvm/libdevice/libdevice.10.bc',
    'include/crt/host_config.h',
    'include/cuda_runtime.h',
    'include/cuda_runtime_api.h',
    `${cccl}/cuda/std/type_traits`,
    `${cccl}/thrust/version.h`,
    `${cccl}/cub/version.cuh`,
    'lib/cmake/cccl/cccl-config.cmake',
    'version.json',
  ];
  if (windows) {
    files.push(
      ...['cudart', 'cudart_static', 'cudadevrt', 'cublas', 'cublasLt', 'cusparse', 'cusolver', 'curand'].map(
        (l) => `lib/x64/${l}.lib`,
      ),
      // ATen/cuda/CUDAContext.h and curand users: PyTorch's Windows wheels bring no CUDA headers.
      ...['cublas_v2.h', 'cublasLt.h', 'cusparse.h', 'cusolverDn.h', 'curand_kernel.h'].map((h) => `include/${h}`),
      `nvvm/bin/${major >= 13 ? 'x64/' : ''}nvvm64_40_0.dll`,
    );
  } else {
    // nvcc.profile: -L$(TOP)/lib64 and lib64/stubs; cpp_extension links -lcudart from lib64.
    files.push(
      'lib64/libcudart.so',
      'lib64/libcudart_static.a',
      'lib64/libcudadevrt.a',
      'lib64/stubs/libcuda.so',
      'nvvm/lib64/libnvvm.so',
      `pkg-config/cudart-${mm}.pc`,
    );
  }
  return files;
}

describe.each(RELEASES)('CUDA %s', (release) => {
  const [major, minor] = release.split('.').map(Number) as [number, number];
  const mm = `${major}.${minor}`;

  it.each(RUNNERS)(
    'installs on $platform, reported by the runner as $os $arch',
    async ({ platform, os: runnerOs, arch }) => {
      const manifest = await manifestOf(release);
      const extra = major === 13 && minor >= 1 ? ['cuda_tileiras'] : [];
      const names = expandComponents(['torch-extension', ...extra], major, platform, manifest);
      const work = await mkdtemp(path.join(scratch, `${release}-${platform}-`));
      const tree = await buildLayoutTree(fixtures, release, platform, names, path.join(work, 'tree'));
      const server = await new FakeRedist([tree]).start();
      const cache = path.join(work, 'cache');
      vi.stubEnv('RUNNER_OS', runnerOs);
      vi.stubEnv('RUNNER_ARCH', arch);
      vi.stubEnv('RUNNER_TOOL_CACHE', cache);
      vi.stubEnv('RUNNER_TEMP', work);
      vi.stubEnv('LD_LIBRARY_PATH', '');
      const ctx = recordingContext();
      try {
        const components = ['torch-extension', ...extra].join(',');
        const outputs = await step.run(
          new Inputs(step.spec, { 'cuda-version': mm, method: 'redist', components, 'mirror-url': server.mirrorUrl }),
          ctx,
        );
        const root = outputs['cuda-path'];
        const windows = platform === 'windows-x86_64';
        expect(outputs).toMatchObject({
          'cuda-version': release,
          'nvcc-path': path.join(root, 'bin', windows ? 'nvcc.exe' : 'nvcc'),
          source: 'download',
        });
        expect(root.startsWith(path.join(cache, 'cuda', release, `${platform}-`))).toBe(true);
        // One request per archive, each of the archive NVIDIA names for this platform.
        expect(server.archiveRequests().map((r) => r.path.split('/').slice(-2, -1)[0])).toEqual(
          names.map(() => platform),
        );

        const missing = expectedFiles(platform, major, mm).filter((f) => !existsSync(path.join(root, f)));
        expect(missing).toEqual([]);
        // Every link ends at a file of the toolkit: libcudart.so -> .so.M -> .so.M.m.p.
        for (const entry of (await listTree(root)).filter((e) => e.includes(' -> '))) {
          const link = path.join(root, entry.split(' -> ')[0]!);
          expect((await realpath(link)).startsWith(`${await realpath(root)}/`)).toBe(true);
          expect(statSync(link).isFile() || statSync(link).isDirectory()).toBe(true);
        }
        const nvccVersion = manifest.components.get('cuda_nvcc')!.version;
        expect((await run(outputs['nvcc-path']!, ['--version'])).stdout).toContain(`release ${mm}, V${nvccVersion}`);
        if (extra.length > 0)
          expect(existsSync(path.join(root, 'bin', windows ? 'tileiras.exe' : 'tileiras'))).toBe(true);

        expect(ctx.exported).toMatchObject({
          CUDA_PATH: root,
          CUDA_HOME: root,
          [`CUDA_PATH_V${major}_${minor}`]: root,
        });
        // addPath prepends: the last folder added is searched first.
        const searched = [...ctx.paths].reverse();
        if (windows) {
          expect(searched).toEqual(
            major >= 13 ? [path.join(root, 'bin'), path.join(root, 'bin', 'x64')] : [path.join(root, 'bin')],
          );
          // The runtime DLLs are found on PATH: bin up to CUDA 12, bin\x64 from CUDA 13.
          for (const dll of [`cudart64_${major}.dll`, `cublas64_${major}.dll`]) {
            expect(searched.some((dir) => existsSync(path.join(dir, dll)))).toBe(true);
          }
          expect(ctx.exported.LD_LIBRARY_PATH).toBeUndefined();
        } else {
          expect(searched).toEqual([path.join(root, 'bin')]);
          expect(ctx.exported.LD_LIBRARY_PATH).toBe(path.join(root, 'lib64'));
        }
        const versions = JSON.parse(await readFile(path.join(root, 'version.json'), 'utf8'));
        expect(Object.keys(versions).sort()).toEqual(['cuda', ...names].sort());
      } finally {
        vi.unstubAllEnvs();
        await server.stop();
      }
    },
  );
});

describe('what a release does not have', () => {
  it('refuses cuda_tileiras before CUDA 13.1, naming what is there, before any archive is fetched', async () => {
    const tree = await buildLayoutTree(fixtures, '12.9.1', 'linux-sbsa', ['cuda_cccl'], path.join(scratch, 'no-tile'));
    const server = await new FakeRedist([tree]).start();
    try {
      await expect(
        setupCuda(server.request(path.join(scratch, 'no-tile-cache'), scratch, { components: ['cuda_tileiras'] }), {
          log: recordingContext().log,
        }),
      ).rejects.toThrow(
        /^components: CUDA 12\.9\.1 has no cuda_tileiras for linux-sbsa\. Components there: .*cuda_nvcc, /,
      );
      expect(server.archiveRequests()).toEqual([]);
    } finally {
      await server.stop();
    }
  });

  it("takes linux-aarch64, as PyTorch and the matrix name it, for NVIDIA's linux-sbsa", async () => {
    const tree = await buildLayoutTree(fixtures, '13.0.2', 'linux-sbsa', ['cuda_crt'], path.join(scratch, 'aarch64'));
    const server = await new FakeRedist([tree]).start();
    try {
      const result = await setupCuda(
        server.request(path.join(scratch, 'aarch64-cache'), scratch, {
          components: ['cuda_crt'],
          platform: 'linux-aarch64',
        }),
        { log: recordingContext().log },
      );
      expect(path.basename(path.dirname(result.root))).toBe('13.0.2');
      expect(path.basename(result.root)).toMatch(/^linux-sbsa-/);
      expect(server.archiveRequests().map((r) => r.path)).toEqual([
        '/compute/cuda/redist/cuda_crt/linux-sbsa/cuda_crt-linux-sbsa-13.0.88-archive.tar.xz',
      ]);
      await expect(
        setupCuda(server.request(scratch, scratch, { platform: 'macos-arm64' }), { log: recordingContext().log }),
      ).rejects.toThrow(
        'platform: "macos-arm64" is not a platform NVIDIA publishes CUDA for. Allowed: linux-x86_64, linux-aarch64 (linux-sbsa), windows-x86_64',
      );
    } finally {
      await server.stop();
    }
  });
});
