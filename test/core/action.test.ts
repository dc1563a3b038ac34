import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { EOL, tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { type Core, runAction } from '../../src/core/action';
import { StepFailed } from '../../src/core/errors';
import { defineStep } from '../../src/core/step';

const saved = { ...process.env };
let dir = '';
afterEach(async () => {
  process.env = { ...saved };
  process.exitCode = undefined;
  await rm(dir, { recursive: true, force: true });
});

it('sets the outputs of a step that fails with StepFailed, then fails the job with its message', async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'action-'));
  const outputs = path.join(dir, 'outputs');
  await writeFile(outputs, '');
  process.env.GITHUB_OUTPUT = outputs;
  process.env.INPUT_WHAT = 'x';
  const step = defineStep({
    spec: {
      name: 'demo',
      title: 'Demo',
      description: 'fails',
      inputs: { what: { description: 'w' } },
      outputs: { report: { description: 'r' } },
    },
    run: async () => {
      throw new StepFailed('demo: 1 problem', { report: '/tmp/report.json' });
    },
  });
  // The ::error:: line is the runner's; here it is caught, not printed among passing tests.
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  let written: string[];
  try {
    await runAction(step);
  } finally {
    written = stdout.mock.calls.map(([chunk]) => String(chunk));
    stdout.mockRestore();
  }
  expect(written).toContain(`::error::demo: 1 problem${EOL}`);
  expect(process.exitCode).toBe(1);
  expect(await readFile(outputs, 'utf8')).toMatch(/^report<<(ghadelimiter_[\w-]+)\n\/tmp\/report\.json\n\1\n$/);
});

it('reads inputs from and hands outputs to the @actions/core it is given (the copy @github/local-action replaces)', async () => {
  const outputs: Record<string, string> = {};
  const given = {
    getInput: (name: string) => ({ what: 'x' })[name] ?? '',
    setOutput: (name: string, value: string) => void (outputs[name] = value),
    setSecret: () => {},
    info: () => {},
    debug: () => {},
    setFailed: (message: string) => void (outputs.failed = message),
  } as unknown as Core;
  const step = defineStep({
    spec: {
      name: 'demo',
      title: 'Demo',
      description: 'echoes',
      inputs: { what: { description: 'w' } },
      outputs: { echo: { description: 'e' } },
    },
    run: async (inputs, ctx) => {
      ctx.log.info('running');
      return { echo: inputs.string('what') };
    },
  });
  await runAction(step, given);
  expect(outputs).toEqual({ echo: 'x' });
});

it('masks the password of a malformed URL in the ::error:: line, registering it with the runner first', async () => {
  process.env['INPUT_CACHE-URL'] = 'redis://alice:p@ss/w0rd@cache:6379';
  process.env.INPUT_MIRROR = 'http:/bob:Sw0rdf1sh@mirror';
  const step = defineStep({
    spec: {
      name: 'demo',
      title: 'Demo',
      description: 'prints what it was given',
      inputs: {
        'cache-url': { description: 'c', kind: 'urls', schemes: ['redis'] },
        mirror: { description: 'm', kind: 'url' },
      },
      outputs: {},
    },
    run: async () => ({}),
  });
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  let written: string[];
  try {
    await runAction(step);
  } finally {
    written = stdout.mock.calls.map(([chunk]) => String(chunk));
    stdout.mockRestore();
  }
  expect(written).toContain(`::add-mask::p@ss/w0rd${EOL}`);
  expect(written).toContain(`::add-mask::Sw0rdf1sh${EOL}`);
  const shown = written.filter((line) => !line.startsWith('::add-mask::')).join('');
  expect(shown).toContain('::error::mirror: "http:/bob:***@mirror" names no host');
  expect(shown).not.toMatch(/p@ss|w0rd|Sw0rdf1sh/);
});
