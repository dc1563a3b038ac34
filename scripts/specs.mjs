// Loads the step specs (src/registry.ts) through a throwaway bundle, for the scripts.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleFile, root } from './bundle.mjs';

export { root };

export async function loadRegistry() {
  const bundle = await bundleFile(
    'src/registry.ts',
    path.join(root, 'node_modules', '.cache', `sagewheels-registry-${process.pid}.mjs`),
  );
  try {
    const { STEPS, PIPELINE } = await import(pathToFileURL(bundle).href);
    return { steps: STEPS.map((s) => s.spec), pipeline: PIPELINE.spec };
  } finally {
    await rm(bundle);
  }
}
