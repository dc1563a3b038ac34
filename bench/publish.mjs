// Bundles bench/publish.ts (TypeScript, importing src/ and test/fakes/) and runs it with the
// arguments given: node bench/publish.mjs [--wheels 60] [--mb 20] [--concurrency 4] ...
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const outfile = path.join(root, 'node_modules', '.cache', 'sagewheels-bench-publish.mjs');
await build({
  entryPoints: [path.join(root, 'bench', 'publish.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: 'error',
});
const result = spawnSync(process.execPath, [outfile, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status ?? 1);
