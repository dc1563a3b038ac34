// Bundles what GitHub and the terminal run. Each action, as actions/typescript-action lays it out:
// dist/<step>/main.mjs exports run() (what @github/local-action imports), dist/<step>/index.mjs
// calls it (what action.yml names). The root action.yml's pipeline is dist/run/. The CLI is
// dist/cli/main.mjs behind dist/cli/index.mjs, a Node version check that any Node can evaluate.
import { build } from 'esbuild';
import { copyFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { banner, root } from './bundle.mjs';

const steps = (await readdir(path.join(root, 'src/steps')))
  .filter((file) => file.endsWith('.ts'))
  .map((file) => file.slice(0, -3))
  .sort();

await rm(path.join(root, 'dist'), { recursive: true, force: true });

const bundle = (contents, outfile) =>
  build({
    stdin: { contents, resolveDir: root, sourcefile: `${path.basename(path.dirname(outfile))}-entry.ts`, loader: 'ts' },
    outfile: path.join(root, 'dist', outfile),
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    banner: { js: banner },
    legalComments: 'external',
    logLevel: 'warning',
  });

const index = (dir, text) => writeFile(path.join(root, 'dist', dir, 'index.mjs'), text);
const callRun =
  "// The action's entry: runs main.mjs's run(), which @github/local-action imports itself.\nimport { run } from './main.mjs';\n\nawait run();\n";

const action = (stepImport) =>
  [
    "import { actionsCore, runAction } from './src/core/action.ts';",
    stepImport,
    'export async function run(): Promise<void> {',
    '  await runAction(step, await actionsCore());',
    '}',
    '',
  ].join('\n');

for (const step of steps) {
  await bundle(action(`import { step } from './src/steps/${step}.ts';`), `${step}/main.mjs`);
  await index(step, callRun);
}
await bundle(action("import { PIPELINE as step } from './src/registry.ts';"), 'run/main.mjs');
await index('run', callRun);
await bundle("import './src/cli.ts';\n", 'cli/main.mjs');
await copyFile(path.join(root, 'src/cli/node-check.mjs'), path.join(root, 'dist/cli/index.mjs'));
console.log(`built ${steps.length} step bundles (${steps.join(', ')}), the pipeline (dist/run) and the CLI (dist/cli)`);
