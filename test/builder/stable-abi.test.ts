import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageEnvironment } from '../../src/builder/package-build';
import { cudaOnlyShimFunctions, useCudaReason } from '../../src/builder/stable-abi';
import { runProcess } from '../../src/core/exec';
import { recordingContext } from '../helpers/context';
import { NVCC } from '../verify/nvcc';

/*
 * woct0rdho's abi3_stable branch calls aoti_torch_get_current_cuda_stream (csrc/utils.cuh); torch's
 * C shim declares it only under USE_CUDA, as it is shaped here, and its setup.py defines USE_CUDA
 * for nvcc on Windows only: on Linux nvcc fails with "identifier ... is undefined".
 */
const SHIM = `#pragma once
#include <stdint.h>
typedef int32_t AOTITorchError;
#ifdef __cplusplus
extern "C" {
#endif
AOTITorchError aoti_torch_get_current_device_index(int32_t* ret_device_index);
#ifdef USE_CUDA
struct CUDAGuardOpaque;
AOTITorchError aoti_torch_create_cuda_guard(int32_t device_index, CUDAGuardOpaque** ret_guard);
AOTITorchError aoti_torch_get_current_cuda_stream(int32_t device_index, void** ret_stream);
#endif // USE_CUDA
#ifdef USE_ROCM
AOTITorchError aoti_torch_get_current_hip_stream(int32_t device_index, void** ret_stream);
#endif
#ifdef __cplusplus
}
#endif
`;
const UTILS = `#include <torch/csrc/inductor/aoti_torch/c/shim.h>
static inline void *current_stream(int32_t device_index) {
  void *stream_ptr = nullptr;
  aoti_torch_get_current_cuda_stream(device_index, &stream_ptr);
  return stream_ptr;
}
`;

let dir: string;
let include: string;
let source: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'stable-abi-test-'));
  include = path.join(dir, 'torch-include');
  await mkdir(path.join(include, 'torch', 'csrc', 'inductor', 'aoti_torch', 'c'), { recursive: true });
  await writeFile(path.join(include, 'torch', 'csrc', 'inductor', 'aoti_torch', 'c', 'shim.h'), SHIM);
  source = path.join(dir, 'src');
  await mkdir(path.join(source, 'csrc', 'fused'), { recursive: true });
  await writeFile(path.join(source, 'csrc', 'utils.cuh'), UTILS);
  await writeFile(
    path.join(source, 'csrc', 'fused', 'fused.cu'),
    '#include "../utils.cuh"\nvoid *launch() { return current_stream(0); }\n',
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('-DUSE_CUDA for the stable ABI on Linux', () => {
  it("reads the functions torch's shim declares only under USE_CUDA", () => {
    expect(cudaOnlyShimFunctions(SHIM)).toEqual(['aoti_torch_create_cuda_guard', 'aoti_torch_get_current_cuda_stream']);
  });

  it('decides from the source and the headers, and the flag is what nvcc needed', async () => {
    const reason = await useCudaReason(source, include);
    expect(reason).toBe(
      "csrc/utils.cuh calls aoti_torch_get_current_cuda_stream, which torch's torch/csrc/inductor/aoti_torch/c/shim.h declares only when USE_CUDA is defined",
    );
    const compile = (env: NodeJS.ProcessEnv) =>
      runProcess(
        NVCC,
        ['-c', path.join(source, 'csrc', 'fused', 'fused.cu'), '-o', path.join(dir, 'fused.o'), '-I', include],
        { env: { ...process.env, ...env } },
      );
    const without = await compile({});
    expect(without.code).not.toBe(0);
    expect(without.stdout + without.stderr).toContain('identifier "aoti_torch_get_current_cuda_stream" is undefined');
    // sagewheels appends it to NVCC_APPEND_FLAGS, which nvcc reads itself.
    expect((await compile({ NVCC_APPEND_FLAGS: '-DUSE_CUDA' })).code).toBe(0);
  }, 120_000);

  it('says nothing when the source does not call them, or the headers have no shim', async () => {
    const plain = path.join(dir, 'plain');
    await mkdir(plain);
    await writeFile(path.join(plain, 'k.cu'), '__global__ void k() {}\n');
    expect(await useCudaReason(plain, include)).toBeUndefined();
    expect(await useCudaReason(source, path.join(dir, 'no-torch'))).toBeUndefined();
  });

  it('refuses a host-compiled file that calls them, with the remedy', async () => {
    const host = path.join(dir, 'host');
    await mkdir(host);
    await writeFile(path.join(host, 'ops.cpp'), UTILS);
    await expect(useCudaReason(host, include)).rejects.toThrow(
      /^source: ops\.cpp calls aoti_torch_get_current_cuda_stream, .* Define USE_CUDA in the package's "cxx" flags/,
    );
  });
});

describe('the build environment', () => {
  it("adds -DUSE_CUDA on Linux from the headers of the build's torch, says why, and leaves Windows to its own rule", async () => {
    const torch = path.join(dir, 'site', 'torch');
    await cp(include, path.join(torch, 'include'), { recursive: true });
    const ctx = recordingContext();
    const options = { sourceDir: source, sitePackages: path.dirname(torch), torchDir: torch };
    const env = await packageEnvironment(
      { notes: [] },
      { NVCC_APPEND_FLAGS: '--split-compile=2' },
      { ...options, platform: 'linux' },
      ctx.log,
    );
    expect(env.NVCC_APPEND_FLAGS).toBe('--split-compile=2 -DUSE_CUDA');
    expect(ctx.text()).toContain('nvcc gets -DUSE_CUDA: csrc/utils.cuh calls aoti_torch_get_current_cuda_stream');
    const windows = await packageEnvironment({ notes: [] }, {}, { ...options, platform: 'win32' }, ctx.log);
    expect(windows.NVCC_APPEND_FLAGS).toBeUndefined();
  }, 120_000);
});
