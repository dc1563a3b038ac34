// Loads the step specs (src/registry.ts) through a throwaway esbuild bundle, for the scripts.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const root = path.resolve(import.meta.dirname, '..');

export async function loadRegistry() {
  const bundle = path.join(root, 'node_modules', '.cache', `sagewheels-registry-${process.pid}.mjs`);
  await build({
    entryPoints: [path.join(root, 'src/registry.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'error',
  });
  try {
    const { STEPS, PIPELINE } = await import(pathToFileURL(bundle).href);
    return { steps: STEPS.map((s) => s.spec), pipeline: PIPELINE.spec };
  } finally {
    await rm(bundle);
  }
}
