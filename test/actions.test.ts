import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import type { Step } from '../src/core/step';

// Each step's spec is the one list of its names: its action.yml must say the same.
const root = path.resolve(import.meta.dirname, '..');
const stepFiles = (await readdir(path.join(root, 'src/steps'))).filter((f) => f.endsWith('.ts'));
const steps = await Promise.all(
  stepFiles.map(async (file) => ((await import(path.join(root, 'src/steps', file))) as { step: Step }).step),
);

interface ActionYml {
  name: string;
  description: string;
  inputs?: Record<string, { description: string; default?: string; required?: boolean }>;
  outputs?: Record<string, { description: string }>;
  runs: { using: string; main: string };
}

describe.each(steps.map((step) => [step.spec.name, step] as const))('actions/%s/action.yml', (name, step) => {
  it('matches the step spec: inputs, defaults, outputs, and the bundle it runs', async () => {
    const file = path.join(root, 'actions', name, 'action.yml');
    const action = YAML.parse(await readFile(file, 'utf8')) as ActionYml;
    expect(action.runs).toEqual({ using: 'node24', main: `../../dist/${name}/index.mjs` });
    expect(Object.keys(action.inputs ?? {})).toEqual(Object.keys(step.spec.inputs));
    expect(Object.keys(action.outputs ?? {})).toEqual(Object.keys(step.spec.outputs));
    for (const [input, spec] of Object.entries(step.spec.inputs)) {
      const yml = action.inputs?.[input];
      expect({ input, default: yml?.default === undefined ? undefined : String(yml.default), required: yml?.required ?? false })
        .toEqual({ input, default: spec.default, required: spec.required ?? false });
      expect(yml?.description, input).toBe(spec.description);
    }
    for (const [output, spec] of Object.entries(step.spec.outputs)) {
      expect(action.outputs?.[output]?.description, output).toBe(spec.description);
    }
  });
});

it('has an action for every step and a step for every action', async () => {
  const actions = (await readdir(path.join(root, 'actions'), { withFileTypes: true }).catch(() => [])).filter((d) => d.isDirectory()).map((d) => d.name);
  expect(actions.sort()).toEqual(steps.map((s) => s.spec.name).sort());
});
