// Seconds to build the fixture package (test/fixtures/cudapkg, sm_90a + sm_120a, nvcc 13.0) in
// the test image (podman, test/container/make-image.sh) against the same build on this machine,
// with the same Python minor (3.9: the image's, and pyenv's here), cold (an empty compile cache)
// and warm (the cache the cold run filled), alternating so load drifts hit both alike. Raw numbers.
//   CONTAINERS_CONF=... node scripts/run-ts.mjs bench/container-build.ts [runs]
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildWheel, type BuildOptions } from '../src/builder/build';
import type { Log } from '../src/core/context';
import { formatLaps } from '../src/core/stopwatch';
import { PROFILES } from '../src/packages/profiles';
import { offlineWheels, TEST_IMAGE } from '../test/container/helpers';

const runs = Number(process.argv[2] ?? 3);
const root = await mkdtemp(path.join(os.tmpdir(), 'sagewheels-bench-container-'));
const log: Log = { info: () => {}, debug: () => {}, notice: () => {}, warning: () => {}, group: (_t, body) => body() };
const env = { ...process.env, ...(await offlineWheels(root)), RUNNER_TEMP: root };
const pyenv = path.join(process.env.PYENV_ROOT ?? path.join(os.homedir(), '.pyenv'), 'versions');
const hostPython = readdirSync(pyenv).find((v) => v.startsWith('3.9.'));

const options = (where: 'container' | 'host', cache: string): BuildOptions => ({
  profile: PROFILES.generic,
  source: path.resolve(import.meta.dirname, '../test/fixtures/cudapkg'),
  python: where === 'container' ? '3.9' : path.join(pyenv, hostPython!, 'bin', 'python3'),
  torch: 'none',
  cudaVersion: '13.0',
  archList: '9.0;12.0',
  versionSuffix: 'auto',
  jobs: 'auto',
  compileCache: cache,
  outputDir: path.join(root, `out-${where}`),
  container: where === 'container' ? { image: TEST_IMAGE, engine: 'podman', extra: [] } : undefined,
  env,
});

const timed = async (where: 'container' | 'host', cache: string) => {
  const started = performance.now();
  const result = await buildWheel(options(where, cache), log);
  return {
    wall: (performance.now() - started) / 1000,
    pip: result.seconds,
    cache: result.cache ? `${result.cache.hits}h/${result.cache.misses}m` : 'off',
    phases: formatLaps(result.phases),
  };
};

try {
  for (let run = 1; run <= runs; run++) {
    for (const where of ['host', 'container'] as const) {
      const cache = await mkdtemp(path.join(root, `ccache-${where}-`));
      const cold = await timed(where, cache);
      const warm = await timed(where, cache);
      for (const [kind, t] of [
        ['cold', cold],
        ['warm', warm],
      ] as const) {
        const row = `run ${run} ${where.padEnd(9)} ${kind}: wall ${t.wall.toFixed(2)} s, pip wheel ${t.pip.toFixed(2)} s, ccache ${t.cache}; ${t.phases}`;
        console.log(row);
      }
    }
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
