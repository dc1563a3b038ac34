// One esbuild bundle of a TypeScript module of this repository, for Node 24. Run directly, it bundles a script into
// .src/tools/ for a machine with Node but no node_modules (the GPU machine):
//   node scripts/bundle.mjs bench/sageattention-pipeline.ts
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(import.meta.dirname, '..');

// Bundled CommonJS dependencies still call require() and read __dirname. `var`, not `const`:
// some dependencies (@azure/storage-common) declare their own top-level __filename.
export const banner = [
  "import { createRequire as __createRequire } from 'node:module';",
  "import { fileURLToPath as __fileURLToPath } from 'node:url';",
  "import { dirname as __pathDirname } from 'node:path';",
  'const require = __createRequire(import.meta.url);',
  'var __filename = __fileURLToPath(import.meta.url);',
  'var __dirname = __pathDirname(__filename);',
].join('\n');

export async function bundleFile(entry, outfile) {
  await build({
    entryPoints: [path.resolve(root, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    banner: { js: banner },
    logLevel: 'error',
  });
  return outfile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const entry = process.argv[2];
  const outfile = path.join(root, '.src', 'tools', `${path.basename(entry, '.ts')}.mjs`);
  await bundleFile(entry, outfile);
  console.log(`bundled ${entry} into ${path.relative(root, outfile)}`);
}
