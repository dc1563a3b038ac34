import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigurationError } from '../../src/core/errors';
import { Inputs } from '../../src/core/step';
import { summaryMarkdown, summaryText } from '../../src/core/summary';
import { step } from '../../src/steps/matrix';
import { FakeGitHub } from '../fakes/github';
import { FakePytorchIndex } from '../fakes/pytorch-index';
import { recordingContext } from '../helpers/context';

const TOKEN = 'ghs_matrixsecret0123456789';
let fake: FakeGitHub;
let pytorch: FakePytorchIndex;

beforeAll(async () => {
  fake = await new FakeGitHub(TOKEN).start();
  pytorch = await new FakePytorchIndex().start();
});
afterAll(() => Promise.all([fake.stop(), pytorch.stop()]));
beforeEach(() => {
  vi.stubEnv('GITHUB_REPOSITORY', 'acme/wheels');
  fake.releases.length = 0;
  fake.requests.length = 0;
  fake.faults.length = 0;
  pytorch.faults.length = 0;
  pytorch.requests.length = 0;
});
afterEach(() => vi.unstubAllEnvs());

async function runStep(raw: Record<string, string>) {
  const ctx = recordingContext();
  const outputs = await step.run(
    new Inputs(step.spec, { 'github-api-url': fake.url, token: TOKEN, 'torch-mirror-url': pytorch.url, ...raw }),
    ctx,
  );
  const matrix = JSON.parse(outputs.matrix) as { include: Record<string, string>[] };
  const everything = [ctx.text(), summaryMarkdown(ctx.summary), outputs.matrix].join('\n');
  expect(everything).not.toContain(TOKEN);
  return { ctx, outputs, matrix, jobs: matrix.include.map((e) => `${e.cuda} ${e.python} ${e.platform}`) };
}

const plan = {
  'torch-versions': '2.7.1',
  'cuda-versions': '12.6, 12.8',
  'python-versions': '3.11-3.13',
  platforms: 'linux-x86_64, windows-x86_64',
};
const wheel = (label: string, py: string, platform: string) =>
  `sageattention-2.2.0+${label}-${py}-${py}-${platform}.whl`;

describe('matrix step', () => {
  it('outputs the strategy.matrix and its count, notices what it left out, and summarizes the plan', async () => {
    const { ctx, outputs, matrix } = await runStep({ 'torch-versions': '2.7.1', 'python-versions': '3.12' });
    expect(outputs.count).toBe('2');
    expect(matrix).toEqual({
      include: [
        {
          python: '3.12',
          torch: '2.7.1',
          cuda: '12.6',
          platform: 'linux-x86_64',
          'arch-list': '8.0;8.6;8.9;9.0',
          'version-suffix': '+cu126torch2.7.1',
        },
        {
          python: '3.12',
          torch: '2.7.1',
          cuda: '12.8',
          platform: 'linux-x86_64',
          'arch-list': '8.0;8.6;8.9;9.0;10.0;12.0',
          'version-suffix': '+cu128torch2.7.1',
        },
      ],
    });
    expect(ctx.lines).toContainEqual({
      level: 'notice',
      message: 'left out: torch 2.7.1 with CUDA 11.8: sageattention needs CUDA >= 12.0',
    });
    expect(summaryText(ctx.summary).replace(/read at \S+/, 'read at T')).toBe(
      [
        '== Build matrix: 2 jobs ==',
        '',
        'python  torch  cuda  platform      arch-list                  version-suffix',
        '------  -----  ----  ------------  -------------------------  ----------------',
        '3.12    2.7.1  12.6  linux-x86_64  8.0;8.6;8.9;9.0            +cu126torch2.7.1',
        '3.12    2.7.1  12.8  linux-x86_64  8.0;8.6;8.9;9.0;10.0;12.0  +cu128torch2.7.1',
        '',
        `PyTorch releases: the index ${pytorch.url}, read at T`,
        '',
        '1 left out:',
        'torch 2.7.1 with CUDA 11.8: sageattention needs CUDA >= 12.0',
        '',
      ].join('\n'),
    );
    // The log says what came of it (the table is the summary's, which the CLI prints), and GitHub was not asked.
    expect(ctx.text()).toContain('info: Planned 2 jobs (1 left out); the job summary has the table.');
    expect(fake.requests).toEqual([]);
  });

  it('adds the columns an include brings to the summary table', async () => {
    const { ctx } = await runStep({
      ...plan,
      'python-versions': '3.12',
      include: '[{"platform": "windows-x86_64", "runner": "win-gpu"}]',
    });
    const table = ctx.summary.find((b) => b.kind === 'table');
    expect(table).toMatchObject({
      header: ['python', 'torch', 'cuda', 'platform', 'arch-list', 'version-suffix', 'runner'],
    });
    expect(table?.kind === 'table' && table.rows.map((row) => row[6])).toEqual(['', 'win-gpu', '', 'win-gpu']);
  });

  it('skip-published: drops the jobs whose wheel is on the release, matching label, Python tag and platform tag', async () => {
    const release = fake.addRelease({ tag_name: 'v2.2.0' });
    // 200 wheels of older builds first, so the ones that count are on the third page of 100.
    for (let i = 0; i < 200; i++)
      fake.addAsset(release, `sageattention-2.1.${i}+cu124torch2.5.1-cp39-cp39-linux_x86_64.whl`, Buffer.from('x'));
    for (const name of [
      wheel('cu128torch2.7.1', 'cp312', 'linux_x86_64'),
      wheel('cu126torch2.7.1', 'cp313', 'manylinux_2_28_x86_64'),
      wheel('cu128torch2.7.1', 'cp311', 'win_amd64'),
      wheel('cu128torch2.7.0', 'cp313', 'linux_x86_64'), // another torch
      wheel('cu128torch2.7.1', 'cp313', 'musllinux_1_2_x86_64'), // another platform
      'SHA256SUMS',
      'sageattention-2.2.0.tar.gz',
    ]) {
      fake.addAsset(release, name, Buffer.from('x'));
    }
    // A 502 midway through an upload leaves a "starter" asset: that wheel is not there yet.
    fake.addAsset(release, wheel('cu126torch2.7.1', 'cp311', 'linux_x86_64'), Buffer.from(''), 'starter');

    const { ctx, outputs, jobs } = await runStep({ ...plan, 'skip-published': 'v2.2.0' });
    expect(outputs.count).toBe('9');
    expect(ctx.text()).toContain('info: Planned 9 jobs (0 left out, 3 already on v2.2.0)');
    expect(jobs).not.toContain('12.8 3.12 linux-x86_64');
    expect(jobs).not.toContain('12.6 3.13 linux-x86_64');
    expect(jobs).not.toContain('12.8 3.11 windows-x86_64');
    expect(jobs).toContain('12.8 3.13 linux-x86_64');
    expect(jobs).toContain('12.6 3.11 linux-x86_64');
    expect(ctx.summary).toContainEqual({
      kind: 'details',
      label: '3 already on release v2.2.0, skipped',
      body: [
        'torch 2.7.1, CUDA 12.6, Python 3.13, linux-x86_64',
        'torch 2.7.1, CUDA 12.8, Python 3.11, windows-x86_64',
        'torch 2.7.1, CUDA 12.8, Python 3.12, linux-x86_64',
      ].join('\n'),
    });
    // One request: the newest releases, each listing all its assets (drafts too, which the tag lookup misses).
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /repos/acme/wheels/releases']);
  });

  it('skip-published: count 0 when everything is on the release', async () => {
    const release = fake.addRelease({ tag_name: 'v1' });
    for (const cuda of ['126', '128'])
      fake.addAsset(release, wheel(`cu${cuda}torch2.7.1`, 'cp312', 'linux_x86_64'), Buffer.from('x'));
    const { ctx, outputs, matrix } = await runStep({
      'torch-versions': '2.7.1',
      'python-versions': '3.12',
      'skip-published': 'v1',
    });
    expect(outputs.count).toBe('0');
    expect(matrix).toEqual({ include: [] });
    expect(summaryText(ctx.summary)).toContain('Nothing to build: every planned wheel is already on release v1.');
  });

  it('skip-published: a draft counts (a publish that has not finished); a tag with no release skips nothing', async () => {
    fake.addRelease({ tag_name: 'v3', draft: true });
    fake.addAsset(fake.releases[0]!, wheel('cu128torch2.7.1', 'cp312', 'linux_x86_64'), Buffer.from('x'));
    const inputs = { 'torch-versions': '2.7.1', 'python-versions': '3.12' };
    const draft = await runStep({ ...inputs, 'skip-published': 'v3' });
    expect(draft.outputs.count).toBe('1');
    expect(draft.ctx.text()).toContain('1 wheels (on a draft: a publish that has not finished):');
    const none = await runStep({ ...inputs, 'skip-published': 'v4' });
    expect(none.outputs.count).toBe('2');
    expect(none.ctx.text()).toContain('No release has the tag v4 yet: nothing is skipped.');
  });

  it('skip-published: reads GitHub at the runner GITHUB_API_URL (GitHub Enterprise Server) when github-api-url is not given', async () => {
    vi.stubEnv('GITHUB_API_URL', fake.url);
    const release = fake.addRelease({ tag_name: 'v6' });
    fake.addAsset(release, wheel('cu126torch2.7.1', 'cp312', 'linux_x86_64'), Buffer.from('x'));
    const { jobs } = await runStep({
      'torch-versions': '2.7.1',
      'python-versions': '3.12',
      'skip-published': 'v6',
      'github-api-url': '',
    });
    expect(jobs).toEqual(['12.8 3.12 linux-x86_64']);
  });

  it('skip-published: rides out a 502 from GitHub', async () => {
    const release = fake.addRelease({ tag_name: 'v5' });
    fake.addAsset(release, wheel('cu128torch2.7.1', 'cp312', 'linux_x86_64'), Buffer.from('x'));
    fake.fault((req, res) => {
      if (!req.path.endsWith('/releases')) return false;
      res.writeHead(502, { 'content-type': 'text/html' }).end('<html>Bad gateway</html>');
      return true;
    });
    const { outputs } = await runStep({ 'torch-versions': '2.7.1', 'python-versions': '3.12', 'skip-published': 'v5' });
    expect(outputs.count).toBe('1');
    expect(fake.requests.filter((r) => r.path.endsWith('/releases'))).toHaveLength(2);
  });

  it('skip-published: a token GitHub refuses is a user error naming the token input, without printing it', async () => {
    const ctx = recordingContext();
    const inputs = new Inputs(step.spec, {
      'torch-versions': '2.7.1',
      'skip-published': 'v1',
      token: 'ghs_wrong',
      'github-api-url': fake.url,
    });
    const error = await step.run(inputs, ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(
      /^token: GitHub refused it \(401 Bad credentials.*\)\. Give a token that can read the releases of this repository$/,
    );
    expect((error as Error).message).not.toContain('ghs_wrong');
  });

  it('checks every input before it asks PyTorch or GitHub anything', async () => {
    const run = (raw: Record<string, string>) =>
      step.run(
        new Inputs(step.spec, {
          'torch-versions': '2.7.1',
          'skip-published': 'v1',
          token: TOKEN,
          'github-api-url': fake.url,
          'torch-mirror-url': pytorch.url,
          ...raw,
        }),
        recordingContext(),
      );
    await expect(run({ 'arch-list': 'sm_999' })).rejects.toThrow(/^arch-list: "sm_999"/);
    await expect(run({ 'torch-versions': 'newest' })).rejects.toThrow(/^torch-versions: "newest" is not a version/);
    await expect(run({ platforms: 'macos-arm64' })).rejects.toThrow(/^platforms: "macos-arm64"/);
    expect(fake.requests).toEqual([]);
    expect(pytorch.requests).toEqual([]);
  });

  it('marks the token secret and defaults it to the workflow token', () => {
    expect(step.spec.inputs.token).toMatchObject({ secret: true, default: '${{ github.token }}' });
  });

  it("plans today's releases: latest-3 on linux x86_64 and aarch64 and windows, aarch64 with its GPUs' archs", async () => {
    const { matrix, outputs, ctx } = await runStep({
      'torch-versions': 'latest-3',
      platforms: 'linux-x86_64,linux-aarch64,windows-x86_64',
    });
    const entries = matrix.include;
    expect([...new Set(entries.map((e) => e.torch))]).toEqual(['2.13.0', '2.14.0', '2.15.0']);
    expect([...new Set(entries.map((e) => e.cuda))]).toEqual(['12.6', '13.0', '13.2']);
    expect([...new Set(entries.map((e) => e.python))]).toEqual(['3.10', '3.11', '3.12', '3.13', '3.14', '3.15']);
    expect(outputs.count).toBe(String(3 * 3 * 6 * 3));
    const archs = (platform: string, cuda: string) =>
      entries.find((e) => e.platform === platform && e.cuda === cuda)!['arch-list'];
    // GH200 9.0, GB200 10.0, GB10 12.1 (CUDA >= 12.9); no aarch64 machine has an RTX 5090 or an L40.
    expect(archs('linux-aarch64', '12.6')).toBe('8.0;9.0');
    expect(archs('linux-aarch64', '13.2')).toBe('8.0;9.0;10.0;12.1');
    expect(archs('linux-x86_64', '13.2')).toBe('8.0;8.6;8.9;9.0;10.0;12.0;12.1');
    expect(entries.find((e) => e.platform === 'linux-aarch64')!['version-suffix']).toBe('+cu126torch2.13.0');
    expect(ctx.lines.filter((l) => l.level === 'warning')).toEqual([]);
  });

  it('plans a release the index has and the snapshot does not, from PEP 691 JSON', async () => {
    const json = await new FakePytorchIndex(
      [
        ...pytorch.files,
        'torch-2.16.0+cu132-cp314-cp314-manylinux_2_28_x86_64.whl',
        'torch-2.16.0+cu132-cp315-cp315-manylinux_2_28_x86_64.whl',
        'torch-2.16.0+cu132-cp315-cp315-win_amd64.whl',
      ],
      { json: true },
    ).start();
    try {
      const { matrix, ctx } = await runStep({ 'torch-versions': 'latest', 'torch-mirror-url': json.url });
      expect(matrix.include.map((e) => `${e.torch} ${e.cuda} ${e.python} ${e.platform}`)).toEqual([
        '2.16.0 13.2 3.14 linux-x86_64',
        '2.16.0 13.2 3.15 linux-x86_64',
      ]);
      expect(ctx.text()).toContain(`info: PyTorch releases: ${json.url}/torch/ (PEP 691 JSON,`);
    } finally {
      await json.stop();
    }
  });

  it('falls back to the snapshot with a warning naming the URL when the index answers garbage', async () => {
    pytorch.faults.push({ kind: 'body', body: '<html><body>Proxy error</body></html>', contentType: 'text/html' });
    const { ctx, outputs } = await runStep({ 'torch-versions': '2.14.0', 'python-versions': '3.12' });
    expect(outputs.count).toBe('3');
    const warnings = ctx.lines.filter((l) => l.level === 'warning').map((l) => l.message);
    expect(warnings).toEqual([
      expect.stringMatching(
        new RegExp(`^PyTorch's index could not be read \\(${pytorch.url}/torch/: an HTML page without links`),
      ),
    ]);
    expect(summaryText(ctx.summary)).toMatch(
      /PyTorch releases: the embedded snapshot of \d{4}-\d\d-\d\d[^(]* \(the index failed: /,
    );
  });

  it('torch-mirror-url: snapshot plans without a request; a URL that is not http(s) is refused before one', async () => {
    const { ctx } = await runStep({ 'torch-versions': '2.14.0', 'torch-mirror-url': 'snapshot' });
    expect(pytorch.requests).toEqual([]);
    expect(summaryText(ctx.summary)).toMatch(/the embedded snapshot of .* \(no request made\)/);
    await expect(
      runStep({ 'torch-versions': '2.14.0', 'torch-index-url': 'download.pytorch.org/whl' }),
    ).rejects.toThrow('torch-index-url: "download.pytorch.org/whl" is not a URL. Allowed: a URL of https:, http:');
    expect(pytorch.requests).toEqual([]);
  });

  it('torch-index-url reads one index, as a mirror of a single CUDA build serves it', async () => {
    const { matrix } = await runStep({
      'torch-versions': '2.9-2.11',
      'python-versions': '3.12',
      'torch-index-url': `${pytorch.url}/cu128`,
    });
    expect(pytorch.requests.map((r) => r.path)).toEqual(['/whl/cu128/torch/']);
    expect(matrix.include.map((e) => `${e.torch} ${e.cuda}`)).toEqual(['2.9.1 12.8', '2.10.0 12.8', '2.11.0 12.8']);
  });
});
