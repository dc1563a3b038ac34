import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { torchExtensionComponents } from '../../src/cuda/components';
import { toolkitEnv } from '../../src/cuda/env';
import { setupCuda, type SetupResult } from '../../src/cuda/setup';
import { buildRedistTree, FakeRedist } from '../fakes/redist';
import { recordingContext } from '../helpers/context';

// Runs only where a GPU is (the lead's H100/H200 machine): kernels built with the toolkit that
// setup-cuda installed from the loopback redist tree run on the GPU and compute the right answer,
// with cudart linked statically and, through the exported LD_LIBRARY_PATH, as a shared library.
const hasGpu = spawnSync('nvidia-smi', ['-L']).status === 0;
const CUDA_ROOT = '/usr/local/cuda-13.0';
const run = promisify(execFile);

const kernel = `#include <cstdio>
#include <cuda_runtime.h>
__global__ void square(int* x) { x[threadIdx.x] = threadIdx.x * threadIdx.x; }
int main() {
  int* d; int h[32];
  if (cudaMalloc(&d, sizeof h) != cudaSuccess) return 2;
  square<<<1, 32>>>(d);
  if (cudaMemcpy(h, d, sizeof h, cudaMemcpyDeviceToHost) != cudaSuccess) return 3;
  long sum = 0; for (int v : h) sum += v;
  printf("sum=%ld\\n", sum);
  return 0;
}
`;

describe.runIf(hasGpu)('a toolkit from setup-cuda on a GPU', () => {
  let scratch: string;
  let server: FakeRedist | undefined;
  let toolkit: SetupResult;

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'sagewheels-cuda-gpu-'));
    // From the loopback tree when this machine's CUDA came from NVIDIA's wheels; else the toolkit already here.
    const fromWheels = existsSync(path.join(CUDA_ROOT, 'dist-info'));
    if (fromWheels) {
      const tree = await buildRedistTree(CUDA_ROOT, '13.0.2', torchExtensionComponents(13, 'linux-x86_64'));
      server = await new FakeRedist([tree]).start();
    }
    toolkit = await setupCuda(
      {
        cudaVersion: fromWheels ? '13.0.2' : '13.0',
        method: fromWheels ? 'redist' : 'existing',
        components: ['torch-extension'],
        mirrorUrl: server?.mirrorUrl ?? 'http://127.0.0.1:9/',
        toolCache: path.join(scratch, 'toolcache'),
        tempDir: scratch,
      },
      { log: recordingContext().log },
    );
    console.log(`toolkit: ${toolkit.source} ${toolkit.version} at ${toolkit.root}`);
  });

  afterAll(async () => {
    await server?.stop();
    await rm(scratch, { recursive: true, force: true });
  });

  it.each([
    ['static', []],
    ['shared', ['-cudart', 'shared']],
  ] as const)('runs a kernel with cudart %s', async (linkage, flags) => {
    const source = path.join(scratch, 'square.cu');
    const binary = path.join(scratch, `square-${linkage}`);
    await writeFile(source, kernel);
    await run(toolkit.nvcc, ['-arch=native', ...flags, source, '-o', binary]);
    const env = toolkitEnv(toolkit.root, toolkit.majorMinor, 'linux-x86_64', process.env);
    const result = await run(binary, [], { env: { ...process.env, ...env.vars } });
    expect(result.stdout.trim()).toBe(`sum=${Array.from({ length: 32 }, (_, i) => i * i).reduce((a, b) => a + b)}`);
  });
});
