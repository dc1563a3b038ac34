// How fast verify reads the GPU code of a large extension module, uncompressed and as nvcc
// compresses it (zstd by default with -compress-all, LZ4 with -compress-mode speed).
// Usage: node bench/verify-gpu-code.mjs [kernels=300] [runs=5]   (needs nvcc 13.0 in /usr/local/cuda-13.0)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { bundleFile } from '../scripts/bundle.mjs';

const kernels = Number(process.argv[2] ?? 300);
const runs = Number(process.argv[3] ?? 5);
const work = mkdtempSync(path.join(tmpdir(), 'verify-bench-'));
const nvcc = '/usr/local/cuda-13.0/bin/nvcc';

const binary = await bundleFile('src/verify/binary.ts', path.join(work, 'binary.mjs'));
const { findFatbins, readGpuCode } = await import(pathToFileURL(binary).href);

// Many distinct kernels with unrolled bodies, as attention modules have.
const source = path.join(work, 'many.cu');
writeFileSync(
  source,
  `template <int N> __global__ void k(const float *a, float *b, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x; float x = a[i % n];
  #pragma unroll
  for (int j = 0; j < 64; j++) x = x * 1.0001f + (float)(N + j);
  b[i % n] = x;
}
${Array.from({ length: kernels }, (_, i) => `template __global__ void k<${i}>(const float *, float *, int);`).join('\n')}
`,
);
const targets = ['sm_80', 'sm_89', 'sm_90a', 'sm_120a'].flatMap((c) => [
  '-gencode',
  `arch=${c.replace('sm_', 'compute_')},code=${c}`,
]);
targets.push('-gencode', 'arch=compute_120,code=compute_120');

const variants = {
  none: ['-Xfatbin', '-compress=false'],
  zstd: ['-Xfatbin', '-compress-all'],
  lz4: ['-Xfatbin', '-compress-all', '-compress-mode', 'speed'],
};
console.log(
  `node ${process.version}, ${cpus()[0]?.model} x${cpus().length}, ${kernels} kernels, 4 SASS targets + 1 PTX, median of ${runs}`,
);
console.log('compression  library MB  GPU code MB  entries  read ms  GPU code MB/s');
let gpuCode = 0;
for (const [name, flags] of Object.entries(variants)) {
  const lib = path.join(work, `${name}.so`);
  execFileSync(nvcc, ['-shared', '-Xcompiler', '-fPIC', source, '-o', lib, ...targets, ...flags]);
  const bytes = readFileSync(lib);
  // The uncompressed build comes first: its fatbin section is the GPU code every variant decodes.
  if (name === 'none') gpuCode = findFatbins(bytes).sections.reduce((sum, s) => sum + s.length, 0);
  const times = [];
  let entries = 0;
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    entries = readGpuCode(readFileSync(lib)).entries.length;
    times.push(performance.now() - start);
  }
  const median = times.sort((a, b) => a - b)[Math.floor(runs / 2)];
  const mb = (n) => (n / 1e6).toFixed(1);
  console.log(
    `${name.padEnd(11)}  ${mb(statSync(lib).size).padStart(10)}  ${mb(gpuCode).padStart(11)}  ${String(entries).padStart(7)}  ${median.toFixed(0).padStart(7)}  ${(gpuCode / 1e6 / (median / 1000)).toFixed(0).padStart(13)}`,
  );
}
rmSync(work, { recursive: true, force: true });
