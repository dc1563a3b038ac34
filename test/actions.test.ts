import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import type { StepSpec } from '../src/core/step';
import { PIPELINE, STEPS } from '../src/registry';

// Each spec is the one list of its names: the action.yml written from it must still say the same.
const root = path.resolve(import.meta.dirname, '..');

interface ActionYml {
  inputs?: Record<string, { description: string; default?: string; required?: boolean }>;
  outputs?: Record<string, { description: string }>;
  runs: { using: string; main: string };
}

const actions: [string, StepSpec, string][] = [
  ...STEPS.map((step): [string, StepSpec, string] => [
    `actions/${step.spec.name}/action.yml`,
    step.spec,
    `../../dist/${step.spec.name}/index.mjs`,
  ]),
  ['action.yml', PIPELINE.spec, 'dist/run/index.mjs'],
];

describe.each(actions)('%s', (file, spec, main) => {
  it('matches its spec: inputs, defaults, outputs, and the bundle it runs', async () => {
    const action = YAML.parse(await readFile(path.join(root, file), 'utf8')) as ActionYml;
    expect(action.runs).toEqual({ using: 'node24', main });
    expect(Object.keys(action.inputs ?? {})).toEqual(Object.keys(spec.inputs));
    expect(Object.keys(action.outputs ?? {})).toEqual(Object.keys(spec.outputs));
    for (const [input, want] of Object.entries(spec.inputs)) {
      const yml = action.inputs?.[input];
      expect({ input, default: yml?.default, required: yml?.required, description: yml?.description }).toEqual({
        input,
        default: want.default,
        required: want.required ?? false,
        description: want.description,
      });
    }
    for (const [output, want] of Object.entries(spec.outputs))
      expect(action.outputs?.[output]?.description, output).toBe(want.description);
  });
});

it('has an action for every step and a step for every action', async () => {
  const dirs = (await readdir(path.join(root, 'actions'), { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name);
  expect(dirs.sort()).toEqual(STEPS.map((s) => s.spec.name).sort());
  const files = (await readdir(path.join(root, 'src/steps'))).map((f) => f.replace(/\.ts$/, ''));
  expect(files.sort()).toEqual(dirs.sort());
});
