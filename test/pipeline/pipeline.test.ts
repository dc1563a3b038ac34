import { describe, expect, it, vi } from 'vitest';
import { checkedInputs, ConfigurationErrors } from '../../src/core/check';
import { ConfigurationError, StepFailed } from '../../src/core/errors';
import { defineStep, Inputs, type Step } from '../../src/core/step';
import { pipelineStep } from '../../src/pipeline/pipeline';
import { PIPELINE } from '../../src/registry';
import { recordingContext } from '../helpers/context';

const calls: { step: string; inputs: Record<string, string> }[] = [];
const fake = (
  name: string,
  inputs: Record<string, { required?: boolean; default?: string; choices?: string[] }>,
  outputs: Record<string, string>,
  fail?: Error,
): Step =>
  defineStep({
    spec: {
      name,
      title: name.toUpperCase(),
      description: name,
      inputs: Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, { description: `${name} ${k}`, ...v }])),
      outputs: Object.fromEntries(Object.keys(outputs).map((k) => [k, { description: k }])),
    },
    run: async (given) => {
      calls.push({ step: name, inputs: Object.fromEntries(Object.keys(inputs).map((k) => [k, given.string(k)])) });
      if (fail) throw fail;
      return outputs;
    },
  });

const build = fake(
  'build',
  { 'arch-list': { default: 'auto' }, python: { default: '3.12' } },
  { wheels: '["a.whl"]', 'arch-list': '9.0;12.0' },
);
const verify = fake(
  'verify',
  {
    wheels: { required: true },
    'arch-list': { required: true },
    python: {},
    mode: { default: 'x', choices: ['x', 'y'] },
  },
  { report: '/r.json' },
);
const publish = fake(
  'publish',
  { wheels: { required: true }, report: {}, tag: { required: true } },
  { 'release-url': 'http://release' },
);

const run = async (step: Step, raw: Record<string, string>) => {
  calls.length = 0;
  return step.run(new Inputs(step.spec, raw), recordingContext());
};

describe('pipelineStep', () => {
  const pipeline = pipelineStep([build, verify, publish]);

  it('merges inputs: one per name, defaults only where every step agrees and nothing is wired', () => {
    expect(Object.keys(pipeline.spec.inputs)).toEqual([
      'steps',
      'arch-list',
      'python',
      'wheels',
      'mode',
      'report',
      'tag',
      'dry-run',
    ]);
    expect(pipeline.spec.inputs.python?.default).toBeUndefined();
    expect(pipeline.spec.inputs.wheels?.default).toBeUndefined();
    expect(pipeline.spec.inputs.mode?.default).toBe('x');
    expect(Object.values(pipeline.spec.inputs).some((i) => i.required)).toBe(false);
    expect(Object.keys(pipeline.spec.outputs)).toEqual(['wheels', 'arch-list', 'report', 'release-url']);
  });

  it("feeds build's wheels and archs to verify, and verify's report to publish", async () => {
    const outputs = await run(pipeline, { tag: 'v1' });
    expect(calls).toEqual([
      { step: 'build', inputs: { 'arch-list': 'auto', python: '3.12' } },
      { step: 'verify', inputs: { wheels: '["a.whl"]', 'arch-list': '9.0;12.0', python: '', mode: 'x' } },
      { step: 'publish', inputs: { wheels: '["a.whl"]', report: '/r.json', tag: 'v1' } },
    ]);
    expect(outputs).toEqual({
      wheels: '["a.whl"]',
      'arch-list': '9.0;12.0',
      report: '/r.json',
      'release-url': 'http://release',
    });
    // "auto" is build's to resolve: verify gets what it resolved to.
    await run(pipeline, { tag: 'v1', 'arch-list': 'auto' });
    expect(calls.map((c) => c.inputs['arch-list'])).toEqual(['auto', '9.0;12.0', undefined]);
  });

  it('lets what the user gives win over what is wired, and runs only the chosen steps, in pipeline order', async () => {
    await run(pipeline, { steps: 'publish, verify', wheels: 'dist/*.whl', 'arch-list': '8.0', tag: 'v1' });
    expect(calls.map((c) => c.step)).toEqual(['verify', 'publish']);
    expect(calls[1]!.inputs).toEqual({ wheels: 'dist/*.whl', report: '/r.json', tag: 'v1' });
  });

  it('checks every chosen step before the first runs', async () => {
    await expect(run(pipeline, {})).rejects.toThrow(
      new ConfigurationError('tag: is required and was not given. publish tag'),
    );
    expect(calls).toEqual([]);
    await expect(run(pipeline, { tag: 'v', mode: 'z' })).rejects.toThrow('mode: "z" is not allowed. Allowed: x, y');
    await expect(run(pipeline, { steps: 'build,test' })).rejects.toThrow(
      'steps: "test" is not a pipeline step. Allowed: build, verify, publish',
    );
    // Without build, nothing is wired: verify needs its own wheels.
    await expect(run(pipeline, { steps: 'verify', 'arch-list': '9.0' })).rejects.toThrow(/^wheels: is required/);
    expect(calls).toEqual([]);
  });

  it('keeps the outputs of the steps that ran when a later one fails', async () => {
    const failing = pipelineStep([
      build,
      fake('verify', { wheels: { required: true } }, {}, new StepFailed('wheel lacks 12.0', { report: '/r.json' })),
    ]);
    const error = await run(failing, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StepFailed);
    expect((error as StepFailed).outputs).toEqual({ wheels: '["a.whl"]', 'arch-list': '9.0;12.0', report: '/r.json' });
  });
});

describe('the root pipeline', () => {
  it("refuses a bad input of any chosen step (publish's draft, build's jobs) before setup-cuda runs", async () => {
    const cases: [Record<string, string>, string | RegExp, Record<string, string>?][] = [
      [{ draft: 'maybe' }, 'draft: "maybe" is not a boolean. Allowed: true, false'],
      [{ concurrency: '0' }, 'concurrency: "0" is not a whole number. Allowed: a whole number >= 1'],
      [{ jobs: 'many' }, 'jobs: "many" is not allowed. Allowed: auto, or a whole number >= 1'],
      [{ toolset: '14.4' }, /^toolset: "14\.4" is not an MSVC toolset version/],
      [{ 'arch-list': '9.0 banana' }, /^arch-list: /],
      [{}, /^token: is empty/, { GITHUB_TOKEN: '' }],
      [{}, /^GITHUB_REPOSITORY is not set/, { GITHUB_REPOSITORY: '' }],
    ];
    for (const [given, message, env] of cases) {
      vi.stubEnv('GITHUB_TOKEN', 'ghs_t');
      vi.stubEnv('GITHUB_REPOSITORY', 'o/r');
      for (const [name, value] of Object.entries(env ?? {})) vi.stubEnv(name, value);
      const ctx = recordingContext();
      const inputs = {
        steps: 'setup-cuda,setup-msvc,build,verify,publish',
        'cuda-version': '13.0',
        method: 'existing',
        source: 'test/fixtures/cudapkg',
        package: 'generic',
        torch: 'none',
        tag: 'v1',
        ...given,
      };
      const error = await (async () => PIPELINE.run(new Inputs(PIPELINE.spec, inputs), ctx))().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toMatch(message);
      expect(ctx.lines).toEqual([]);
    }
    vi.unstubAllEnvs();
  });

  it('reports every mistake of every chosen step at once, as the action reads its inputs', async () => {
    vi.stubEnv('GITHUB_TOKEN', '');
    vi.stubEnv('GITHUB_REPOSITORY', 'o/r');
    const raw = { 'cuda-version': '12', source: 'test/fixtures/nope', draft: 'maybe' };
    const error = await checkedInputs(PIPELINE, raw).catch((e: unknown) => e);
    vi.unstubAllEnvs();
    expect(error).toBeInstanceOf(ConfigurationErrors);
    expect((error as ConfigurationErrors).errors.map((e) => e.message.split(':')[0])).toEqual([
      'draft',
      'cuda-version',
      'torch-version',
      'source',
      'token',
      'tag',
    ]);
  });

  it('runs the five steps of a matrix job, with the steps input first', () => {
    expect(PIPELINE.spec.inputs.steps?.default).toBe('setup-cuda,setup-msvc,build,verify,publish');
    expect(Object.keys(PIPELINE.spec.inputs)[0]).toBe('steps');
    expect(PIPELINE.spec.inputs.token?.secret).toBe(true);
  });
});
