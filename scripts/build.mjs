// Bundles what GitHub and the terminal run: each step (src/steps/<step>.ts) into
// dist/<step>/index.mjs, the whole pipeline (the root action.yml) into dist/run/index.mjs, and
// the CLI into dist/cli/index.mjs.
import { build } from 'esbuild';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { banner, root } from './bundle.mjs';

const steps = (await readdir(path.join(root, 'src/steps')))
  .filter((file) => file.endsWith('.ts'))
  .map((file) => file.slice(0, -3))
  .sort();

await rm(path.join(root, 'dist'), { recursive: true, force: true });

const bundle = (contents, outfile, extraBanner = '') =>
  build({
    stdin: { contents, resolveDir: root, sourcefile: `${path.basename(path.dirname(outfile))}-entry.ts`, loader: 'ts' },
    outfile: path.join(root, 'dist', outfile),
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    banner: { js: `${extraBanner}${banner}` },
    legalComments: 'external',
    logLevel: 'warning',
  });

const action = "import { runAction } from './src/core/action.ts';\n";
for (const step of steps) {
  await bundle(
    `${action}import { step } from './src/steps/${step}.ts';\nawait runAction(step);\n`,
    `${step}/index.mjs`,
  );
}
await bundle(`${action}import { PIPELINE } from './src/registry.ts';\nawait runAction(PIPELINE);\n`, 'run/index.mjs');
await bundle("import './src/cli.ts';\n", 'cli/index.mjs', '#!/usr/bin/env node\n');
console.log(`built ${steps.length} step bundles (${steps.join(', ')}), the pipeline (dist/run) and the CLI (dist/cli)`);
