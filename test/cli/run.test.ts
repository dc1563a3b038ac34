import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/main';
import { PIPELINE, STEPS } from '../../src/registry';
import { FakeGitHub } from '../fakes/github';

const root = path.resolve(import.meta.dirname, '../..');
const cli = async (argv: string[], env: NodeJS.ProcessEnv = {}) => {
  let out = '';
  let err = '';
  const code = await runCli(argv, [...STEPS, PIPELINE], {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    env: { RUNNER_TEMP: tmpdir(), ...env },
  });
  return { code, out, err, lines: err.split('\n').filter(Boolean) };
};
// The pipeline's steps read the process environment, as they do under a runner.
const github = (token = 'ghs_run_test_token') => {
  vi.stubEnv('GITHUB_TOKEN', token);
  vi.stubEnv('GITHUB_REPOSITORY', 'o/r');
};
const HEADER = /^=== /m;

describe('sagewheels run does what its flags say', () => {
  let fake: FakeGitHub;
  let scratch = '';
  beforeAll(async () => {
    fake = await new FakeGitHub('ghs_run_test_token').start();
    scratch = await mkdtemp(path.join(tmpdir(), 'sagewheels-run-'));
  });
  afterAll(async () => {
    await fake.stop();
    await rm(scratch, { recursive: true, force: true });
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    fake.requests.length = 0;
  });

  it('refuses an input of a step --steps leaves out, naming its step and the input meant', async () => {
    github();
    const result = await cli([
      'run',
      '--steps',
      'setup-cuda,build',
      '--cuda-version',
      '13.0',
      '--method',
      'existing',
      '--source',
      'test/fixtures/cudapkg',
      '--torch',
      'none',
      '--arch',
      '12.0',
      '--tag',
      'v1',
      '--hf-repo',
      'me/wheels',
    ]);
    expect(result.code).toBe(1);
    expect(result.lines).toEqual([
      'error: arch: is an input of setup-msvc, which steps does not include (setup-cuda, build). Did you mean arch-list (build)?',
      'error: tag: is an input of publish, which steps does not include (setup-cuda, build). Add publish to steps, or leave tag out',
      'error: hf-repo: is an input of publish, which steps does not include (setup-cuda, build). Add publish to steps, or leave hf-repo out',
    ]);
  });

  it('reports every mistake of every chosen step in one pass, before the first step starts', async () => {
    github('');
    const { code, err, lines } = await cli([
      'run',
      '--cuda-version',
      '12',
      '--source',
      './nope',
      '--torch-version',
      '2.10',
      '--draft',
      'maybe',
    ]);
    expect(code).toBe(1);
    expect(err).not.toMatch(HEADER);
    expect(lines.map((line) => /^error: ([\w-]+):/.exec(line)?.[1])).toEqual([
      'draft',
      'cuda-version',
      'torch-version',
      'source',
      'token',
      'tag',
    ]);
    expect(lines).toContain(
      'error: source: "./nope" is neither a git URL nor a folder. Give https://... or a path to the package',
    );
  });

  it('the same one pass for a step run alone', async () => {
    github('');
    const { lines } = await cli(['publish', '--wheels', 'w/*.whl', '--concurrency', '0']);
    expect(lines.map((line) => /^error: ([\w-]+):/.exec(line)?.[1])).toEqual(['concurrency', 'token', 'tag']);
  });

  it('--dry-run checks and plans every step and changes nothing: no toolkit, no wheel, no request', async () => {
    github();
    const installDir = path.join(scratch, 'cuda');
    const outputDir = path.join(scratch, 'wheelhouse');
    const { code, out, err } = await cli([
      'run',
      '--dry-run',
      '--cuda-version',
      '13.0',
      '--method',
      'redist',
      // Without the dry run, setup-cuda would fetch its manifest from here and publish would write here.
      '--mirror-url',
      `${fake.url}/redist/`,
      '--github-api-url',
      fake.url,
      '--install-dir',
      installDir,
      '--package',
      'generic',
      '--source',
      path.join(root, 'test/fixtures/cudapkg'),
      '--torch',
      'none',
      '--output-dir',
      outputDir,
      '--tag',
      'v1',
    ]);
    expect(fake.requests).toEqual([]);
    expect(existsSync(installDir)).toBe(false);
    expect(err).not.toMatch(/^error/m);
    expect(code).toBe(0);
    expect(out).toBe('');
    expect(err).not.toMatch(HEADER);
    for (const step of ['setup-cuda', 'setup-msvc', 'build', 'verify', 'publish'])
      expect(err).toMatch(new RegExp(`^would run ${step} \\(`, 'm'));
    expect(err).toContain(`install-dir: ${installDir}`);
    expect(err).toMatch(/^would run publish .*wheels: build's wheels, tag: v1/m);
    expect(existsSync(installDir)).toBe(false);
    expect(existsSync(outputDir)).toBe(false);
    expect(fake.requests).toEqual([]);
    expect(fake.releases).toEqual([]);
  });

  it('groups run --help by step, each shared input once', async () => {
    const { out } = await cli(['run', '--help']);
    const headings = out.split('\n').filter((line) => /^\S.*:$/.test(line) && !line.startsWith('usage'));
    expect(headings).toEqual([
      'inputs of run:',
      'shared inputs (each chosen step that takes one gets it):',
      'inputs of setup-cuda (Set up the CUDA toolkit):',
      'inputs of setup-msvc (Set up MSVC):',
      'inputs of build (Build):',
      'inputs of verify (Verify wheels):',
      'inputs of publish (Publish wheels):',
      'outputs (stdout, one name=value line each):',
      'examples:',
    ]);
    expect(out.match(/^ {2}--cuda-version /gm)).toHaveLength(1);
    expect(out).toContain('  --cuda-version <value>  (setup-cuda, setup-msvc, build)');
    const msvc = out.slice(out.indexOf('inputs of setup-msvc'), out.indexOf('inputs of build'));
    expect(msvc).toContain('  --arch <value>  (default: x64)');
    expect(msvc).not.toContain('--arch-list');
  });
});

describe('the CLI as people expect', () => {
  it('--version prints the version on stdout', async () => {
    const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { version: string };
    expect(await cli(['--version'])).toMatchObject({ code: 0, out: `sagewheels ${pkg.version}\n`, err: '' });
  });

  it('suggests the step or input meant, in one line', async () => {
    expect(await cli(['matirx'])).toMatchObject({
      code: 2,
      out: '',
      err: 'error: "matirx" is not a step; did you mean matrix? (sagewheels --help lists them)\n',
    });
    expect((await cli(['matrix', '--torch-version', '2.15'])).err).toBe(
      'error: --torch-version is not an input of matrix. Did you mean --torch-versions?\n',
    );
    expect((await cli(['run', '--steps', 'setup-cuda,biuld'])).lines[0]).toBe(
      'error: steps: "biuld" is not a pipeline step; did you mean build?. Allowed: setup-cuda, setup-msvc, build, verify, publish',
    );
  });

  it('refuses latest-N beyond what PyTorch published, naming what exists', async () => {
    const { code, err } = await cli(['matrix', '--torch-versions', 'latest-99', '--torch-mirror-url', 'snapshot']);
    expect(code).toBe(1);
    expect(err).toMatch(
      /^error: torch-versions: "latest-99" asks for 99 minors, and PyTorch has published \d+\. Known: 2\.5, 2\.6, .*, 2\.15$/m,
    );
    const range = await cli(['matrix', '--torch-versions', '2.9-2.99', '--torch-mirror-url', 'snapshot']);
    expect(range.err).toMatch(/^error: torch-versions: the range "2\.9-2\.99" reaches 2\.99, outside what PyTorch/m);
  });

  it('quotes the whole arch list and how it was split', async () => {
    const { err } = await cli([
      'matrix',
      '--torch-versions',
      '2.9.1',
      '--arch-list',
      '12,0',
      '--torch-mirror-url',
      'snapshot',
    ]);
    expect(err).toMatch(
      /^error: arch-list: "12,0" was split into "12", "0" \(";", "," and spaces separate archs\): "12" is not a GPU architecture/,
    );
  });
});
