import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as core from '@actions/core';
import { runCli } from '../../src/cli/main';
import { defineStep } from '../../src/core/step';
import { PIPELINE, STEPS } from '../../src/registry';
import { FakeGitHub } from '../fakes/github';

const all = [...STEPS, PIPELINE];
const cli = async (argv: string[], env: NodeJS.ProcessEnv = {}) => {
  let out = '';
  let err = '';
  const code = await runCli(argv, all, {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    env: { RUNNER_TEMP: '/tmp', ...env },
  });
  return { code, out, err };
};

describe('sagewheels CLI', () => {
  afterEach(() => void vi.unstubAllEnvs());

  it('runs a step from flags: the plan table on stderr, outputs as name=value on stdout', async () => {
    const { code, out, err } = await cli([
      'matrix',
      '--torch-versions',
      '2.7.1',
      '--python-versions=3.12',
      '--cuda-versions',
      '12.8',
    ]);
    expect(code).toBe(0);
    expect(out.split('\n')).toContain('count=1');
    const matrix = JSON.parse(
      out
        .split('\n')
        .find((l) => l.startsWith('matrix='))!
        .slice('matrix='.length),
    );
    expect(matrix.include[0]).toMatchObject({
      python: '3.12',
      torch: '2.7.1',
      cuda: '12.8',
      'version-suffix': '+cu128torch2.7.1',
    });
    expect(err).toMatch(/python\s+torch\s+cuda/);
  });

  it('lists steps, explains one, and refuses what is not there with one line', async () => {
    expect((await cli(['--help'])).out).toMatch(/^usage: sagewheels <step>/);
    expect((await cli([])).code).toBe(2);
    expect((await cli(['build', '--help'])).out).toContain('--arch-list');
    expect((await cli(['run', '--help'])).out).toContain('--steps');
    const unknown = await cli(['bulid']);
    expect(unknown).toMatchObject({ code: 2 });
    expect(unknown.err).toMatch(/^error: "bulid" is not a step/);
    const bad = await cli(['matrix', '--torch-versions', '9.9', '--torch-mirror-url', 'snapshot']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^error: torch-versions: torch "9\.9" is not a PyTorch release\. Nearest published: /m);
    expect((await cli(['matrix', '--torch', '2.7.1'])).err).toMatch(/^error: --torch is not an input of matrix/);
  });

  it("takes the token from GITHUB_TOKEN where the action's default is the workflow token, and masks it", async () => {
    const fake = await new FakeGitHub('ghs_cli_secret_token').start();
    try {
      fake.addRelease({ tag_name: 'v1' });
      // Steps read the process environment, as they do under the runner.
      vi.stubEnv('GITHUB_TOKEN', 'ghs_cli_secret_token');
      vi.stubEnv('GITHUB_REPOSITORY', 'o/r');
      const env = { ...process.env, SAGEWHEELS_DEBUG: '1' };
      const { code, out, err } = await cli(
        ['matrix', '--torch-versions', '2.7.1', '--skip-published', 'v1', '--github-api-url', fake.url],
        env,
      );
      expect(err).not.toMatch(/^error/m);
      expect(code).toBe(0);
      expect(fake.requests.some((r) => r.headers.authorization === 'token ghs_cli_secret_token')).toBe(true);
      expect(out + err).not.toContain('ghs_cli_secret_token');
    } finally {
      await fake.stop();
    }
  });

  it('reads like a well-kept CLI: wrapped help with examples, switches, no workflow expressions', async () => {
    for (const step of all) {
      const { out } = await cli([step.spec.name, '--help']);
      const long = out.split('\n').filter((line) => line.length > 100);
      expect({ step: step.spec.name, long }).toEqual({ step: step.spec.name, long: [] });
      expect(out).toMatch(/\nexamples:\n {2}.*sagewheels /);
      expect(out).not.toContain('${{');
    }
    const publish = (await cli(['publish', '--help'])).out;
    expect(publish).toContain('--token <value>  (default: $GITHUB_TOKEN or $GH_TOKEN)');
    expect(publish).toContain('--dry-run  (switch)');
    expect(publish).toContain('--checksums  (switch, on by default; --no-checksums turns it off)');
    const usage = (await cli(['--help'])).out;
    expect(usage.split('\n').every((line) => line.length <= 100)).toBe(true);
    expect(usage).toContain('\nexamples:\n  sagewheels matrix ');
  });

  it('takes a bare boolean flag as a switch and refuses a bad boolean before anything runs', async () => {
    vi.stubEnv('GITHUB_REPOSITORY', 'o/r');
    const dry = await cli(['publish', '--wheels', 'nothing/*.whl', '--tag', 'v1', '--dry-run'], { GITHUB_TOKEN: 't' });
    // The switch was taken; the wheels, next, are what is missing.
    expect(dry.err).toMatch(/^error: wheels: "nothing\/\*\.whl" matches no wheel file/m);
    const bad = await cli(['publish', '--wheels', 'w.whl', '--tag', 'v1', '--draft=maybe'], { GITHUB_TOKEN: 't' });
    expect(bad.err).toBe('error: draft: "maybe" is not a boolean. Allowed: true, false\n');
    // The case: the whole pipeline stops before setup-cuda, not after the build.
    const run = await cli(['run', '--steps', 'setup-cuda,build,verify,publish', '--draft', 'maybe', '--tag', 'v1']);
    expect(run.code).toBe(1);
    expect(run.err.split('\n')).toContain('error: draft: "maybe" is not a boolean. Allowed: true, false');
    expect(run.err).not.toContain('===');
  });

  it("shows the libraries' ::debug:: lines only when verbose, as debug lines on stderr", async () => {
    const step = defineStep({
      spec: { name: 'talk', title: 'Talk', description: 'debugs', inputs: {}, outputs: {} },
      run: async () => {
        core.debug('from a library: 50% done');
        return {};
      },
    });
    const stdout = vi.spyOn(process.stdout, 'write');
    const run = (env: NodeJS.ProcessEnv) => {
      let err = '';
      return runCli(['talk'], [step], { out: () => {}, err: (t) => void (err += t), env }).then(() => err);
    };
    try {
      expect(await run({ RUNNER_TEMP: '/tmp' })).toBe('');
      expect(await run({ RUNNER_TEMP: '/tmp', SAGEWHEELS_VERBOSE: '1' })).toBe('debug: from a library: 50% done\n');
      expect(await run({ RUNNER_TEMP: '/tmp', RUNNER_DEBUG: '1' })).toContain('debug: from a library');
      expect(stdout.mock.calls.filter(([chunk]) => String(chunk).includes('::debug::'))).toEqual([]);
      expect(stdout).toHaveBeenCalledTimes(0);
    } finally {
      stdout.mockRestore();
    }
  });

  it('works as the bundled bin that npx runs', async () => {
    const bin = path.resolve(import.meta.dirname, '../../dist/cli/index.mjs');
    const { stdout } = await promisify(execFile)(process.execPath, [
      bin,
      'matrix',
      '--torch-versions',
      '2.9.1',
      '--python-versions',
      '3.13',
      '--cuda-versions',
      '13.0',
    ]);
    expect(stdout).toContain('count=1');
  });
});
