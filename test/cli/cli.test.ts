import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/main';
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
