import { mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { runAction } from '../../src/core/action';
import { errorMessage } from '../../src/core/errors';
import { Inputs } from '../../src/core/step';
import { summaryMarkdown } from '../../src/core/summary';
import { runPublish, step } from '../../src/steps/publish';
import { FakeGitHub } from '../fakes/github';
import { recordingContext } from '../helpers/context';
import { SECOND_MS, validWheelFiles, wheelName } from './helpers';

// A token nobody could mistake: if any of it reaches a log line, a summary, an output or an error, a test fails.
const TOKEN = 'ghs_S3CRET_sagewheels_token_0123456789abcdef';

describe('the publish step', () => {
  let fake: FakeGitHub;
  let files: Awaited<ReturnType<typeof validWheelFiles>>;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    fake = await new FakeGitHub(TOKEN, 30, { maxPerPage: 3 }).start();
    files = await validWheelFiles([wheelName(0), wheelName(1)]);
    // One verify report per matrix job, as a single publish job finds them.
    await mkdir(path.join(files.dir, 'reports', 'job-1'), { recursive: true });
    await writeFile(
      path.join(files.dir, 'reports', 'job-1', 'report.json'),
      JSON.stringify({
        schema: 1,
        wheels: [{ name: wheelName(1), gpus: { '8.9': 'sass', '12.0': 'sass', '12.1': 'ptx' } }],
      }),
    );
    await writeFile(path.join(files.dir, 'reports', 'broken.json'), '{ not json');
  });
  afterAll(() => fake.stop());
  beforeEach(() => {
    fake.releases.length = 0;
    fake.faults.length = 0;
    env = {
      GITHUB_REPOSITORY: 'octo/wheels',
      GITHUB_SHA: 'f00dfeed',
      GITHUB_WORKSPACE: files.dir,
      GITHUB_API_URL: fake.url,
      GITHUB_SERVER_URL: 'https://github.com',
    };
  });

  /** Runs the step and returns everything it let out: log, summary, outputs, error. */
  async function run(raw: Record<string, string>, runEnv = env) {
    const ctx = recordingContext();
    let outputs: Record<string, string> = {};
    let error: unknown;
    try {
      outputs = await runPublish(
        new Inputs(step.spec, { token: TOKEN, tag: 'v1', wheels: '*.whl', ...raw }, runEnv),
        ctx,
        runEnv,
        SECOND_MS,
      );
    } catch (e) {
      error = e;
    }
    const everything = [
      ctx.text(),
      summaryMarkdown(ctx.summary),
      JSON.stringify(outputs),
      error ? `${errorMessage(error)}\n${(error as Error).stack}` : '',
    ].join('\n');
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain(TOKEN.slice(4, 20));
    return { ctx, outputs, error, everything };
  }

  it('publishes, marks the token secret, and reports outputs and a summary', async () => {
    const { ctx, outputs, error } = await run({ archs: '8.0;9.0', report: 'reports/**/*.json', 'index-page': 'true' });
    expect(ctx.text()).toMatch(/warning: report: \S+broken\.json could not be read/);
    expect(error).toBeUndefined();
    expect(ctx.secrets).toEqual([TOKEN]);
    expect(outputs['release-url']).toBe(`${fake.url}/octo/wheels/releases/tag/v1`);
    const assets = JSON.parse(outputs.assets!) as { name: string; action: string; sha256: string; url: string }[];
    expect(assets.map((a) => [a.name, a.action])).toEqual([
      [wheelName(0), 'create'],
      [wheelName(1), 'create'],
    ]);
    expect(assets[0]!.url).toBe(`${fake.url}/octo/wheels/releases/download/v1/${encodeURIComponent(wheelName(0))}`);
    expect(fake.releases[0]!.target_commitish).toBe('f00dfeed');
    // archs: the report's for the wheel it names, the input's for the others.
    expect(fake.releases[0]!.body).toMatch(/2\.2\.0\+\S+ \| 3\.12 \| 2\.7\.1 \| 12\.8 \| linux_x86_64 \| 8\.0 9\.0 \|/);
    expect(fake.releases[0]!.body).toMatch(
      /2\.2\.1\+\S+ \| 3\.12 \| 2\.7\.1 \| 12\.8 \| linux_x86_64 \| 8\.9 12\.0 12\.1 \(PTX\) \|/,
    );
    expect(summaryMarkdown(ctx.summary)).toContain(
      'created 2, replaced 0, skipped 0, unchanged 0. rewrote SHA256SUMS, index.html, release notes',
    );
    // The requests it spent, and what GitHub says is left of the hour's budget.
    expect(summaryMarkdown(ctx.summary)).toMatch(
      /GitHub API: \d+ request\(s\) this step; \d+ of 1000 left until \d\d:\d\d UTC/,
    );
    expect(fake.releases[0]!.draft).toBe(false);
    // The token did travel, as the Authorization header, and only there.
    expect(
      fake.requests.every((r) => r.headers.authorization === `token ${TOKEN}` || r.path.startsWith('/download/')),
    ).toBe(true);
  });

  it('keeps the token out of every failure: bad token, unreachable API, refused upload, conflict, faults', async () => {
    const other = await new FakeGitHub('ghs_a_different_token').start();
    const badToken = { ...env, GITHUB_API_URL: other.url };
    const gone = await new FakeGitHub().start();
    await gone.stop();
    const closed = { ...env, GITHUB_API_URL: gone.url };
    try {
      expect(errorMessage((await run({}, badToken)).error)).toBe(
        'token: GitHub refused it (401 Bad credentials). Give a valid token',
      );
      expect(errorMessage((await run({}, closed)).error)).toMatch(
        /^GitHub API at http:\/\/127\.0\.0\.1:\d+ could not be reached: network error: \S+/,
      );
      fake.fault(
        (r, res) =>
          r.method === 'POST' &&
          r.path.startsWith('/uploads/') &&
          Boolean(res.writeHead(400).end('{"message":"Bad Content-Type header value"}')),
      );
      expect(errorMessage((await run({})).error)).toMatch(/^upload sageattention-\S+: HTTP 400/);
      fake.addAsset(fake.releases[0] ?? fake.addRelease({ tag_name: 'v1' }), wheelName(0), Buffer.from('other'));
      expect(errorMessage((await run({})).error)).toMatch(/^on-conflict: fail, and release v1 already has a different/);
      fake.badGatewayOnUpload(1);
      fake.resetOnUpload(1);
      fake.secondaryRateLimit((r) => r.method === 'POST', 1);
      const faulted = await run({ 'on-conflict': 'overwrite' });
      expect(faulted.error).toBeUndefined();
      expect(faulted.ctx.lines.filter((l) => l.level === 'warning').length).toBeGreaterThanOrEqual(3);
      expect((await run({ 'dry-run': 'true' })).ctx.text()).toContain('unchanged: sageattention-2.2.0');
    } finally {
      await other.stop();
    }
  });

  it('refuses bad input before any request, naming the input', async () => {
    const before = fake.requests.length;
    expect(errorMessage((await run({ wheels: 'dist/*.whl' })).error)).toBe(
      'wheels: "dist/*.whl" matches no wheel file. Give wheel files, a folder of them, or a glob like dist/*.whl',
    );
    expect(errorMessage((await run({ concurrency: '0' })).error)).toBe(
      'concurrency: "0" is not a whole number. Allowed: a whole number >= 1',
    );
    expect(errorMessage((await run({ wheels: '["a.whl"' })).error)).toMatch(
      /^wheels: \["a\.whl" is not a JSON list of strings/,
    );
    expect(errorMessage((await run({ token: '' }, { ...env, GITHUB_TOKEN: '' })).error)).toMatch(/^token: is empty/);
    expect(() => new Inputs(step.spec, { tag: 'v1', wheels: 'x', 'on-conflict': 'replace' })).toThrow(
      'on-conflict: "replace" is not allowed. Allowed: overwrite, skip, fail',
    );
    expect(fake.requests.length).toBe(before);
  });

  it('refuses, before any request, a wheel that is a link, lies outside the workspace, or failed verify', async () => {
    const before = fake.requests.length;
    const dir = await mkdtemp(path.join(tmpdir(), 'sagewheels-hostile-'));
    await writeFile(path.join(dir, 'secret.txt'), 'the runner secret');
    const link = path.join(files.dir, 'links', wheelName(5));
    await mkdir(path.dirname(link), { recursive: true });
    await symlink(path.join(dir, 'secret.txt'), link);
    expect(errorMessage((await run({ wheels: 'links/*.whl' })).error)).toBe(
      `wheels: ${link} is a symbolic link. Give the built .whl files themselves`,
    );
    await writeFile(path.join(dir, wheelName(6)), 'x');
    await symlink(dir, path.join(files.dir, 'elsewhere'));
    expect(errorMessage((await run({ wheels: 'elsewhere/*.whl' })).error)).toMatch(
      /^wheels: \S+elsewhere\/\S+\.whl lies outside \S+ \(through a link, at \S+\)\. Give wheel files inside the workspace/,
    );
    await writeFile(
      path.join(dir, 'failed.json'),
      JSON.stringify({
        schema: 1,
        wheels: [{ name: wheelName(0), passed: false, problems: ['_fused has no sm_120 code.'], gpus: {} }],
      }),
    );
    expect(errorMessage((await run({ report: path.join(dir, 'failed.json') })).error)).toBe(
      `wheels: ${wheelName(0)} failed verify (${path.join(dir, 'failed.json')}: _fused has no sm_120 code.). Publish only wheels that passed verify`,
    );
    expect(fake.requests.length).toBe(before);
  });

  it('with the planned matrix: the release notes list the combinations without a wheel, and why', async () => {
    const entry = (python: string, cuda: string) => ({
      python,
      torch: '2.7.1',
      cuda,
      platform: 'linux-x86_64',
      'arch-list': '8.0',
      'version-suffix': `+cu${cuda.replace('.', '')}torch2.7.1`,
    });
    const dir = await mkdtemp(path.join(tmpdir(), 'sagewheels-partial-'));
    await writeFile(
      path.join(dir, 'report.json'),
      JSON.stringify({
        schema: 1,
        wheels: [
          { name: wheelName(3, 'cu126torch2.7.1', 'cp311'), passed: false, problems: ['import failed.'], gpus: {} },
        ],
      }),
    );
    const matrix = JSON.stringify({ include: [entry('3.12', '12.8'), entry('3.11', '12.6'), entry('3.13', '12.8')] });
    const { ctx, error } = await run({ matrix, report: path.join(dir, 'report.json') });
    expect(error).toBeUndefined();
    const body = fake.releases[0]!.body;
    expect(body).toContain('### Missing');
    expect(body).toContain('| Python 3.11, torch 2.7.1, CUDA 12.6, linux-x86_64 | verify failed: import failed. |');
    expect(body).toContain(
      '| Python 3.13, torch 2.7.1, CUDA 12.8, linux-x86_64 | no wheel: its build job failed or was cancelled (see the workflow run) |',
    );
    expect(body).not.toContain('Python 3.12, torch 2.7.1, CUDA 12.8');
    expect(summaryMarkdown(ctx.summary)).toContain('2 planned combination(s) have no wheel');
    expect(errorMessage((await run({ matrix: '{"include": 3}' })).error)).toBe(
      'matrix: {"include": 3} is not a matrix. Give the matrix step\'s `matrix` output',
    );
  });

  it('rate-limit-wait: a budget spent for longer fails the step with the time it resets, and says so', async () => {
    const spent = await new FakeGitHub(TOKEN, 30, { rateLimit: 2 }).start();
    try {
      const { error } = await run({ 'rate-limit-wait': '60' }, { ...env, GITHUB_API_URL: spent.url });
      expect(errorMessage(error)).toMatch(
        /GitHub's primary rate limit holds requests until \d\d:\d\d:\d\d UTC, 6\d min from now .* longer than rate-limit-wait \(60 s\): rerun after/,
      );
      // Nothing half-made is left public: at most a draft, which the next run completes.
      expect(spent.releases.every((r) => r.draft)).toBe(true);
    } finally {
      await spent.stop();
    }
  });

  it("takes build's JSON list of wheels; warns and goes on without an artifact service or a readable report", async () => {
    const { ctx, error } = await run({
      wheels: JSON.stringify(files.wheels.map((w) => w.path)),
      artifact: 'true',
      report: '/nonexistent/report.json',
    });
    expect(error).toBeUndefined();
    expect(ctx.text()).toContain('warning: artifact: no artifact service here');
    expect(ctx.text()).toContain('warning: report: "/nonexistent/report.json" matches no file');
  });

  it('as an action, the only place the token appears is the ::add-mask:: command that hides it', async () => {
    const outputFile = path.join(await mkdtemp(path.join(tmpdir(), 'sagewheels-out-')), 'output');
    await writeFile(outputFile, '');
    const saved = { ...process.env };
    Object.assign(process.env, env, {
      INPUT_TOKEN: TOKEN,
      INPUT_TAG: 'v1',
      INPUT_WHEELS: '*.whl',
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: '',
    });
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => Boolean(written.push(String(chunk))));
    try {
      fake.badGatewayOnUpload(1);
      await runAction(step);
    } finally {
      spy.mockRestore();
      process.env = saved;
    }
    const stdout = written.join('');
    const lines = stdout.split('\n').filter((line) => line.includes(TOKEN));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((line) => line === `::add-mask::${TOKEN}`)).toBe(true);
    expect(stdout).toContain('HTTP 502');
    expect(await readFile(outputFile, 'utf8')).toContain('release-url<<');
    expect(process.exitCode ?? 0).toBe(0);
  });
});
