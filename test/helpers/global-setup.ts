// vitest globalSetup: one folder per test run for what test files share (test/helpers/shared.ts),
// removed when the run ends. The workers' temp folder (TMPDIR) lies inside it too, so whatever a
// test leaves in os.tmpdir() goes with it, and no run sees another's leftovers.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    sharedDir: string;
  }
}

export default async function setup(project: TestProject) {
  const dir = await mkdtemp(path.join(tmpdir(), 'sagewheels-test-run-'));
  project.provide('sharedDir', dir);
  const temp = path.join(dir, 'tmp');
  await mkdir(temp);
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = temp;
  return async () => {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    await rm(dir, { recursive: true, force: true });
  };
}
