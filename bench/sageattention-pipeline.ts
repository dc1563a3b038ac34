// The whole pipeline on real SageAttention, on the GPU machine (no network): setup-cuda (the
// toolkit already there), build (torch preinstalled, the compile cache of the build benchmark),
// verify (with the GPU runtime test) and publish to a GitHub release API on loopback.
// Bundled and run by bench/sageattention-gpu.sh; writes pipeline.json to $OUT.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runToLoopbackRelease } from '../scripts/loopback-release';

const [source, archList, python, cache, out] = process.argv.slice(2) as [string, string, string, string, string];
const tag = 'v2.2.0-gpu';
const outputs: Record<string, string> = {};
const started = Date.now();
const { code, release } = await runToLoopbackRelease(
  {
    source,
    package: 'sageattention',
    // The GPU machine's own torch and Python (preinstalled): no image there.
    container: 'none',
    'cuda-version': '13.0',
    method: 'existing',
    python,
    torch: 'preinstalled',
    'arch-list': archList,
    'compile-cache': cache,
    'output-dir': path.join(out, 'wheels-pipeline'),
    'runtime-test': 'always',
    tag,
  },
  'sagewheels/sageattention',
  {
    out: (text) => {
      process.stdout.write(text);
      for (const line of text.split('\n').filter(Boolean))
        outputs[line.split('=')[0]!] = line.slice(line.indexOf('=') + 1);
    },
    err: (text) => void process.stderr.write(text),
    env: process.env,
  },
);
const seconds = (Date.now() - started) / 1000;
const assets = release?.assets.map((a) => ({ name: a.name, size: a.size })) ?? [];
await writeFile(
  path.join(out, 'pipeline.json'),
  JSON.stringify({ exit: code, seconds, outputs, release: assets }, null, 2),
);
console.error(
  `\npipeline: exit ${code} in ${seconds.toFixed(1)} s; release ${tag}: ${assets.map((a) => a.name).join(', ')}`,
);
process.exitCode = code;
