// Bundles each step (src/steps/<step>.ts) into dist/<step>/index.mjs, the file its action.yml runs.
import { build } from 'esbuild';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const steps = (await readdir(path.join(root, 'src/steps')))
  .filter((file) => file.endsWith('.ts'))
  .map((file) => file.slice(0, -3))
  .sort();

await rm(path.join(root, 'dist'), { recursive: true, force: true });

// Bundled CommonJS dependencies still call require() and read __dirname. `var`, because some ESM
// dependencies (@azure/storage-common, under @actions/artifact) declare their own top-level
// `var __filename`, which a `const` here would clash with.
const banner = [
  "import { createRequire as __createRequire } from 'node:module';",
  "import { fileURLToPath as __fileURLToPath } from 'node:url';",
  "import { dirname as __pathDirname } from 'node:path';",
  'const require = __createRequire(import.meta.url);',
  'var __filename = __fileURLToPath(import.meta.url);',
  'var __dirname = __pathDirname(__filename);',
].join('\n');

for (const step of steps) {
  await build({
    stdin: {
      contents: `import { step } from './src/steps/${step}.ts';\nimport { runAction } from './src/core/action.ts';\nawait runAction(step);\n`,
      resolveDir: root,
      sourcefile: `${step}-entry.ts`,
      loader: 'ts',
    },
    outfile: path.join(root, 'dist', step, 'index.mjs'),
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    banner: { js: banner },
    legalComments: 'external',
    logLevel: 'warning',
  });
}
console.log(`built ${steps.length} step bundles: ${steps.join(', ')}`);
