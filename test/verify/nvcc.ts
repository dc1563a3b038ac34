import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runChecked } from '../../src/core/exec';

export const CUDA_HOME = '/usr/local/cuda-13.0';
export const NVCC = path.join(CUDA_HOME, 'bin', 'nvcc');

/** Two tiny kernels, so a linked library holds one fatbin container per translation unit. */
export async function writeKernels(dir: string): Promise<{ add: string; scale: string }> {
  const add = path.join(dir, 'add.cu');
  const scale = path.join(dir, 'scale.cu');
  await writeFile(
    add,
    '__global__ void add(const float *a, float *b, int n) { int i = threadIdx.x; if (i < n) b[i] += a[i]; }\n',
  );
  await writeFile(
    scale,
    '__global__ void scale(float *x, float s, int n) { int i = threadIdx.x; if (i < n) x[i] *= s; }\n' +
      'void launch_scale(float *x, float s, int n) { scale<<<1, 256>>>(x, s, n); }\n',
  );
  return { add, scale };
}

/** `-gencode` flags: "sm_90a" gives SASS, "compute_120" gives PTX. */
export const gencode = (...codes: string[]): string[] =>
  codes.flatMap((code) => ['-gencode', `arch=${code.replace(/^sm_/, 'compute_')},code=${code}`]);

export async function nvcc(args: readonly string[]): Promise<void> {
  await runChecked(NVCC, args);
}
