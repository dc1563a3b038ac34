// vitest globalSetup: one folder per test run for what test files share (test/helpers/shared.ts),
// removed when the run ends.
import { mkdtemp, rm } from 'node:fs/promises';
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
  return () => rm(dir, { recursive: true, force: true });
}
