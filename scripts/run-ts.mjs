// Runs a TypeScript script of this repository on Node 24, straight from the sources:
//   node scripts/run-ts.mjs scripts/demo.ts
//   node scripts/run-ts.mjs bench/publish.ts --wheels 60 --mb 20
// Node strips the types itself (--experimental-transform-types for parameter properties); the
// hook lets the sources' extensionless relative imports find their .ts files.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const [script, ...args] = process.argv.slice(2);
if (!script?.endsWith('.ts')) {
  console.error('usage: node scripts/run-ts.mjs <script.ts> [args]');
  process.exit(2);
}
const hook = `data:text/javascript,${encodeURIComponent(`
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (error) {
    if (specifier.startsWith('.') && !specifier.endsWith('.ts')) return next(specifier + '.ts', context);
    throw error;
  }
}\`));`)}`;
const result = spawnSync(
  process.execPath,
  ['--experimental-transform-types', '--no-warnings', '--import', hook, path.resolve(script), ...args],
  {
    stdio: 'inherit',
  },
);
process.exit(result.status ?? 1);
