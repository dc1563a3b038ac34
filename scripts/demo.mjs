// Runs scripts/demo.ts (the quick start's main job) through a throwaway esbuild bundle.
import { build } from 'esbuild';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(import.meta.dirname, '..');
const outfile = path.join(root, 'node_modules', '.cache', 'sagewheels-demo.mjs');
await build({
  entryPoints: [path.join(root, 'scripts/demo.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  // The bundle lives elsewhere: keep the demo's paths relative to scripts/.
  define: { 'import.meta.dirname': JSON.stringify(path.join(root, 'scripts')) },
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: 'error',
});
await import(pathToFileURL(outfile).href);
