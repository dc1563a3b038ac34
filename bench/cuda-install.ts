// Seconds to install CUDA 13.0.2's torch-extension set from a loopback redist tree made from this
// machine's /usr/local/cuda-13.0 (test/fakes/redist.ts): cold (an empty tool cache: download,
// sha256, unpack, merge, nvcc --version) and cached (the same request again). Prints raw numbers.
//   node scripts/run-ts.mjs bench/cuda-install.ts [runs]
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Log } from '../src/core/context';
import { torchExtensionComponents } from '../src/cuda/components';
import { setupCuda } from '../src/cuda/setup';
import { buildRedistTree, FakeRedist } from '../test/fakes/redist';

const runs = Number(process.argv[2] ?? 3);
// @actions/tool-cache writes ::debug:: lines for the runner; here they would bury the numbers.
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) =>
  String(chunk).startsWith('::debug::') ? true : write(chunk, ...rest)) as typeof process.stdout.write;
const lines: string[] = [];
const log: Log = {
  info: (m) => void lines.push(m),
  debug: () => undefined,
  notice: (m) => void lines.push(m),
  warning: (m) => void lines.push(m),
  group: (_title, body) => body(),
};

const tree = await buildRedistTree('/usr/local/cuda-13.0', '13.0.2', torchExtensionComponents(13, 'linux-x86_64'));
const server = await new FakeRedist([tree]).start();
const scratch = await mkdtemp(path.join(os.tmpdir(), 'sagewheels-bench-cuda-'));
const timed = async (toolCache: string) => {
  const started = performance.now();
  const result = await setupCuda(server.request(toolCache, scratch), { log });
  return { seconds: (performance.now() - started) / 1000, source: result.source, bytes: result.downloadedBytes };
};

try {
  const archiveBytes = tree.archives.reduce((sum, a) => sum + a.size, 0);
  console.log(
    `archives: ${tree.archives.length}, ${archiveBytes} bytes (${(archiveBytes / 1e6).toFixed(1)} MB), xz -0`,
  );
  for (let i = 1; i <= runs; i++) {
    const cache = await mkdtemp(path.join(scratch, 'cache-'));
    lines.length = 0;
    const cold = await timed(cache);
    const perComponent = lines.filter((l) => / MB in [\d.]+ s, size and sha256 verified$/.test(l)).join('; ');
    const cached = await timed(cache);
    console.log(
      `run ${i}: cold ${cold.seconds.toFixed(2)} s (${cold.source}, ${cold.bytes} bytes) | cached ${cached.seconds.toFixed(3)} s (${cached.source}, ${cached.bytes} bytes)`,
    );
    console.log(`  downloads: ${perComponent}`);
    await rm(cache, { recursive: true, force: true });
  }
} finally {
  await server.stop();
  await rm(scratch, { recursive: true, force: true });
}
