// Runs a TypeScript benchmark of setup-cuda on Node 24, straight from the sources:
//   node bench/cuda-run.mjs sizes     bytes of each component set against the whole toolkit
//   node bench/cuda-run.mjs install   install seconds from a loopback redist tree, cold and cached
// Node strips the types itself; the hook lets extensionless relative imports find their .ts file.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const name = process.argv[2];
if (!['sizes', 'install'].includes(name)) {
  console.error('usage: node bench/cuda-run.mjs sizes|install [args]');
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
const script = path.join(import.meta.dirname, `cuda-${name}.ts`);
const result = spawnSync(process.execPath, ['--experimental-transform-types', '--no-warnings', '--import', hook, script, ...process.argv.slice(3)], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
