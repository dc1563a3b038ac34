import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
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
import { SECOND_MS, wheelFiles, wheelName } from './helpers';

// A token nobody could mistake: if any of it reaches a log line, a summary, an output or an error, a test fails.
const TOKEN = 'ghs_S3CRET_sagewheels_token_0123456789abcdef';

describe('the publish step', () => {
  let fake: FakeGitHub;
  let files: Awaited<ReturnType<typeof wheelFiles>>;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    fake = await new FakeGitHub(TOKEN, 30, { maxPerPage: 3 }).start();
    files = await wheelFiles([wheelName(0), wheelName(1)]);
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
