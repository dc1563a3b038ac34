// Bytes of each component set against the whole toolkit, per CUDA release and platform, from
// NVIDIA's own manifests (test/fixtures/cuda-redist). Prints a Markdown table with raw byte counts.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expandComponents, selectArchives } from '../src/cuda/components';
import { archivesFor, parseManifest } from '../src/cuda/manifest';
import type { RedistPlatform } from '../src/cuda/platform';
import { compareVersions } from '../src/core/version';

const fixtures = path.resolve(import.meta.dirname, '../test/fixtures/cuda-redist');
const releases = readdirSync(fixtures)
  .map((f) => /^redistrib_(.+)\.json$/.exec(f)?.[1])
  .filter((v): v is string => Boolean(v))
  .sort(compareVersions);

const pct = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1)} %`;

console.log(
  '| CUDA | platform | all components (bytes) | full (bytes) | compiler (bytes) | torch-extension (bytes) | compiler, of all | torch-extension, of all | torch-extension, of full | torch-extension components |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const release of releases) {
  const manifest = parseManifest(readFileSync(path.join(fixtures, `redistrib_${release}.json`), 'utf8'), release);
  const major = Number(release.split('.')[0]);
  for (const platform of ['linux-x86_64', 'linux-sbsa', 'windows-x86_64'] as RedistPlatform[]) {
    const bytes = (names: string[]) => selectArchives(names, manifest, platform).reduce((sum, a) => sum + a.size, 0);
    const all = [...archivesFor(manifest, platform).values()].reduce((sum, a) => sum + a.size, 0);
    const full = bytes(expandComponents(['full'], major, platform, manifest));
    const compiler = bytes(expandComponents(['compiler'], major, platform));
    const names = expandComponents(['torch-extension'], major, platform);
    const set = bytes(names);
    console.log(
      `| ${release} | ${platform} | ${all} | ${full} | ${compiler} | ${set} | ${pct(compiler, all)} | ${pct(set, all)} | ${pct(set, full)} | ${names.join(', ')} |`,
    );
  }
}
