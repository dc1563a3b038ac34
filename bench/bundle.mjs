// Bundles a TypeScript bench script into .src/tools/<name>.mjs, for a machine with Node but
// without node_modules (the GPU machine).
import { build } from 'esbuild';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const entry = process.argv[2];
const outfile = path.join(root, '.src', 'tools', `${path.basename(entry, '.ts')}.mjs`);
await build({
  entryPoints: [path.join(root, entry)],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: 'warning',
});
console.log(`bundled ${entry} into ${path.relative(root, outfile)}`);
