// One esbuild bundle of a TypeScript module of this repository, for Node 24, with require()
// available to bundled CommonJS dependencies. Run directly, it bundles a script into
// .src/tools/ for a machine with Node but no node_modules (the GPU machine):
//   node scripts/bundle.mjs bench/sageattention-pipeline.ts
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(import.meta.dirname, '..');

export async function bundleFile(entry, outfile) {
  await build({
    entryPoints: [path.resolve(root, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
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
