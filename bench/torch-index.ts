// Time to plan `matrix --torch-versions latest-3 --platforms linux-x86_64,linux-aarch64,windows-x86_64`
// from PyTorch's index read cold (a fresh tool cache), from the cache, and from the embedded snapshot.
// The index is the loopback fake (test/fakes/pytorch-index.ts) over plain HTTP on this machine:
// no network latency, no TLS. --pad N adds N non-CUDA names (CPU, ROCm builds and old versions, as
// the real torch/ page lists next to the CUDA wheels) to bring the page to a realistic size.
//   node scripts/run-ts.mjs bench/torch-index.ts [--runs 20] [--pad 20000] [--json]
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { planMatrix } from '../src/matrix/plan';
import { loadTorchReleases } from '../src/torch/load';
import { FakePytorchIndex, INDEX_NAMES } from '../test/fakes/pytorch-index';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    pad: { type: 'string', default: '0' },
    json: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const padding = Array.from({ length: Number(values.pad) }, (_, i) => {
  const variant = ['cpu', 'rocm6.4', 'cu117', 'xpu'][i % 4];
  return `torch-1.${i % 14}.${i % 7}+${variant}-cp3${8 + (i % 6)}-cp3${8 + (i % 6)}-manylinux_2_28_x86_64.whl`;
});
const index = await new FakePytorchIndex([...INDEX_NAMES, ...padding], { json: values.json }).start();
const log = { info: () => {}, warning: (m: string) => console.error(`warning: ${m}`) };
const options = {
  package: 'sageattention',
  torchVersions: 'latest-3',
  cudaVersions: 'auto',
  pythonVersions: 'auto',
  platforms: 'linux-x86_64,linux-aarch64,windows-x86_64',
  archList: 'auto',
  include: '',
  exclude: '',
};

async function time(label: string, cacheDir: () => Promise<string | undefined>, offline = false) {
  const ms: number[] = [];
  let jobs = 0;
  let source = '';
  for (let i = 0; i < runs; i++) {
    const dir = await cacheDir();
    const started = performance.now();
    const loaded = await loadTorchReleases({ index: index.url, cacheDir: dir, offline, log });
    jobs = planMatrix(options, loaded.releases).entries.length;
    ms.push(performance.now() - started);
    source = loaded.source.kind === 'index' ? `index${loaded.source.cached ? ' (cached)' : ''}` : 'snapshot';
  }
  ms.sort((a, b) => a - b);
  const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]!.toFixed(1);
  console.log(
    `${label}: median ${at(0.5)} ms, p90 ${at(0.9)} ms, min ${ms[0]!.toFixed(1)} ms (${runs} runs, ${jobs} jobs, from ${source})`,
  );
}

const root = await mkdtemp(path.join(os.tmpdir(), 'sagewheels-bench-torch-'));
try {
  const page = await fetch(`${index.url}/torch/`, {
    headers: values.json ? { Accept: 'application/vnd.pypi.simple.v1+json' } : {},
  }).then((r) => r.text());
  console.log(
    `page: ${index.files.length} file names, ${(Buffer.byteLength(page) / 1e6).toFixed(2)} MB (${values.json ? 'PEP 691 JSON' : 'PEP 503 HTML'})`,
  );
  let n = 0;
  await time('cold (read the index, fresh cache)', async () => path.join(root, `cold-${n++}`));
  const warm = path.join(root, 'warm');
  await loadTorchReleases({ index: index.url, cacheDir: warm, log });
  await time('cached (tool cache hit)', async () => warm);
  await time('snapshot (no request)', async () => undefined, true);
} finally {
  await index.stop();
  await rm(root, { recursive: true, force: true });
}
