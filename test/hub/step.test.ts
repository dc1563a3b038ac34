import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigurationError, errorMessage } from '../../src/core/errors';
import { Inputs } from '../../src/core/step';
import { summaryMarkdown } from '../../src/core/summary';
import { runPublish, step } from '../../src/steps/publish';
import { close, listen } from '../fakes/github';
import { FakeGitHub } from '../fakes/github';
import { FakeHub, kindOf } from '../fakes/hub';
import { recordingContext } from '../helpers/context';
import { SECOND_MS, sha256, validWheelFiles, wheelName } from '../publish/helpers';
import { REPO } from './helpers';

// Tokens nobody could mistake: if any of them reaches a log line, a summary, an output or an error, a test fails.
const HF_TOKEN = 'hf_S3CRET_write_sagewheels_0123456789abcdef';
const HF_READ = 'hf_S3CRET_read_sagewheels_0123456789abcdef';
const GH_TOKEN = 'ghs_S3CRET_sagewheels_token_0123456789abcdef';

describe('the publish step with target huggingface', () => {
  let hub: FakeHub;
  let github: FakeGitHub;
  let files: Awaited<ReturnType<typeof validWheelFiles>>;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    hub = await new FakeHub({ [HF_TOKEN]: 'write', [HF_READ]: 'read' }).start();
    github = await new FakeGitHub(GH_TOKEN).start();
    // Whole wheels: publish checks each one (zip, RECORD, METADATA) before any request.
    files = await validWheelFiles([wheelName(0), wheelName(1)]);
  });
  afterAll(async () => {
    await hub.stop();
    await github.stop();
  });
  beforeEach(() => {
    hub.repos.clear();
    hub.lfsObjects.clear();
    hub.requests.length = 0;
    github.releases.length = 0;
    github.requests.length = 0;
    env = {
      GITHUB_REPOSITORY: 'octo/wheels',
      GITHUB_SHA: 'f00dfeed',
      GITHUB_WORKSPACE: files.dir,
      GITHUB_API_URL: github.url,
      GITHUB_SERVER_URL: 'https://github.com',
    };
  });

  /** Runs the step and returns everything it let out: log, summary, outputs, error. */
  async function run(raw: Record<string, string>) {
    const ctx = recordingContext();
    let outputs: Record<string, string> = {};
    let error: unknown;
    try {
      const given = {
        target: 'huggingface',
        wheels: '*.whl',
        'hf-repo': REPO,
        'hf-token': HF_TOKEN,
        'hf-endpoint': hub.url,
        ...raw,
      };
      outputs = await runPublish(new Inputs(step.spec, given, env), ctx, env, SECOND_MS);
    } catch (e) {
      error = e;
    }
    const everything = [
      ctx.text(),
      summaryMarkdown(ctx.summary),
      JSON.stringify(outputs),
      error ? `${errorMessage(error)}\n${(error as Error).stack}` : '',
    ].join('\n');
    for (const token of [HF_TOKEN, HF_READ, GH_TOKEN]) {
      expect(everything).not.toContain(token);
      expect(everything).not.toContain(token.slice(3, 20));
    }
    return { ctx, outputs, error, everything };
  }

  it('commits the wheels and reports the repository, each wheel and its download URL', async () => {
    const { ctx, outputs, error } = await run({ archs: '8.0;9.0', 'hf-revision': 'v1' });
    expect(error).toBeUndefined();
    expect(ctx.secrets).toEqual([HF_TOKEN]);
    expect(outputs['release-url']).toBe(`${hub.url}/${REPO}/tree/v1`);
    expect(outputs['hf-url']).toBe(outputs['release-url']);
    const assets = JSON.parse(outputs.assets!) as Record<string, unknown>[];
    expect(assets).toEqual(
      files.wheels.map((w) => ({
        name: w.name,
        action: 'create',
        size: w.size,
        sha256: sha256(files.data.get(w.name)!),
        url: `${hub.url}/${REPO}/resolve/v1/wheels/${encodeURIComponent(w.name)}`,
        target: 'huggingface',
      })),
    );
    const summary = summaryMarkdown(ctx.summary);
    expect(summary).toContain('publish to the Hub: octo/wheels@v1');
    expect(summary).toContain('(created) (branch v1 created)');
    expect(hub.tree(REPO, 'v1').get('README.md')!.data.toString()).toContain('| 8.0 9.0 |');
  });

  it('a dry run says what it would do and changes nothing', async () => {
    const { ctx, outputs, error } = await run({ 'dry-run': 'true' });
    expect(error).toBeUndefined();
    expect(JSON.parse(outputs.assets!).map((a: { action: string }) => a.action)).toEqual(['create', 'create']);
    expect(ctx.text()).toContain(`would create: wheels/${wheelName(0)}`);
    expect(summaryMarkdown(ctx.summary)).toContain('(dry run: nothing changed)');
    expect(hub.repos.size).toBe(0);
  });

  it.each([401, 500])(
    'a Hub that echoes the Authorization header in a %d body has it scrubbed from the error, log and summary',
    async (status) => {
      hub.fault((req, res) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: `Invalid credentials (Authorization: ${String(req.headers.authorization)})` }));
        return true;
      }, 10);
      // `run` fails the test if any token reaches the log, the summary, the outputs or the error.
      const { error } = await run({});
      expect(errorMessage(error)).toMatch(
        status === 401 ? /^hf-token: the Hub at .* refused it \(401 / : /Authorization: \*\*\*/,
      );
      hub.faults.length = 0;
    },
  );

  it('an empty hf-token falls back to HF_TOKEN, as the Hub tools do', async () => {
    env.HF_TOKEN = HF_TOKEN;
    const { ctx, error } = await run({ 'hf-token': '', 'dry-run': 'true' });
    expect(error).toBeUndefined();
    expect(ctx.secrets).toEqual([HF_TOKEN]);
  });

  it.each([
    [{ target: 'gitlab' }, /^target: "gitlab" is not a target\. Allowed: github-release, huggingface/],
    [{ target: '', token: GH_TOKEN }, /^tag: is empty/], // the default target is github-release
    [{ 'hf-repo': 'wheels' }, /^hf-repo: "wheels" is not owner\/name\./],
    [{ 'hf-repo': 'octo/wheels/extra' }, /^hf-repo: "octo\/wheels\/extra" is not owner\/name/],
    [{ 'hf-repo': 'octo/-wheels' }, /^hf-repo: "octo\/-wheels" is not owner\/name/],
    [{ 'hf-repo': '' }, /^hf-repo: is empty\./],
    [{ 'hf-repo-type': 'space' }, /^hf-repo-type: "space" is not allowed\. Allowed: model, dataset/],
    [{ 'hf-token': '' }, /^hf-token: is empty and HF_TOKEN is not set\. Give a Hugging Face token/],
    [{ 'hf-token': 'S3CRET_not_a_hub_token' }, /^hf-token: does not start with hf_\./],
    [
      { 'hf-revision': 'refs/pr/1' },
      /^hf-revision: "refs\/pr\/1" is a ref path, not a branch name\. Give a branch name/,
    ],
    [{ 'hf-revision': 'a'.repeat(40) }, /^hf-revision: "a{40}" is a commit id/],
    [{ 'hf-revision': 'v1..v2' }, /^hf-revision: "v1\.\.v2" holds "\.\."/],
    [{ 'hf-revision': 'my branch' }, /^hf-revision: "my branch" holds a space/],
    [{ 'hf-path': '../up' }, /^hf-path: "\.\.\/up" is not a folder inside the repository/],
    [
      { 'hf-endpoint': 'ftp://hub.example.com' },
      /^hf-endpoint: "ftp:" is not allowed here\. Allowed: a URL of https:, http:/,
    ],
  ])('refuses %o with one line naming the input, before any request', async (raw, message) => {
    const { error } = await run(raw as Record<string, string>);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(errorMessage(error)).toMatch(message);
    expect(hub.requests).toHaveLength(0);
    expect(github.requests).toHaveLength(0);
  });

  it('a token the Hub does not know: hf-token, before anything changes', async () => {
    const { error } = await run({ 'hf-token': 'hf_S3CRET_unknown_0123456789abcdef' });
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(errorMessage(error)).toMatch(
      /^hf-token: the Hub at http:\/\/127\.0\.0\.1:\d+ refused it \(401 Invalid credentials/,
    );
    expect(hub.repos.size).toBe(0);
  });

  it('a token without write access: hf-token, before any upload', async () => {
    hub.addRepo('model', REPO);
    const { error } = await run({ 'hf-token': HF_READ });
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(errorMessage(error)).toMatch(
      /^hf-token: the Hub at http:\/\/127\.0\.0\.1:\d+ says this token may not write model octo\/wheels\. Give a token with write access to hf-repo/,
    );
    expect(hub.requests.filter((r) => ['lfs-upload', 'commit'].includes(kindOf(r)))).toHaveLength(0);
    expect(hub.history(REPO)).toHaveLength(1);
  });

  it('an LFS storage URL in an error is shown without its query (a presigned credential)', async () => {
    hub.fault((req, res) => {
      if (kindOf(req) !== 'lfs-upload') return false;
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'Bad Request' }));
      return true;
    }, 100);
    const { error, everything } = await run({});
    expect(errorMessage(error)).toMatch(/URL: http:\/\/127\.0\.0\.1:\d+\/lfs-upload\/[0-9a-f]{64}\b/);
    expect(everything).not.toMatch(/lfs-upload\/[0-9a-f]{64}\?size=/);
    hub.faults.length = 0;
  });

  it('a Hub that cannot be reached is named, after retries', async () => {
    const { server, url } = await listen(async () => undefined);
    await close(server);
    const { error } = await run({ 'hf-endpoint': url });
    expect(errorMessage(error)).toMatch(new RegExp(`^the Hub at ${url} could not be reached: .*ECONNREFUSED`));
  });

  it('both targets: the release and the Hub get the wheels; assets lists each per target', async () => {
    const { outputs, error } = await run({ target: 'github-release,huggingface', tag: 'v1', token: GH_TOKEN });
    expect(error).toBeUndefined();
    expect(outputs['release-url']).toBe(`${github.url}/octo/wheels/releases/tag/v1`);
    expect(outputs['hf-url']).toBe(`${hub.url}/${REPO}`);
    const assets = JSON.parse(outputs.assets!) as { name: string; target: string; url: string }[];
    expect(assets.map((a) => [a.target, a.name])).toEqual([
      ...files.wheels.map((w) => ['github-release', w.name]),
      ...files.wheels.map((w) => ['huggingface', w.name]),
    ]);
    expect(github.releasesTagged('v1')[0]!.assets.filter((a) => a.name.endsWith('.whl'))).toHaveLength(2);
    expect([...hub.tree(REPO).keys()].filter((p) => p.endsWith('.whl'))).toHaveLength(2);
  });

  it('both targets: a read-only Hub token stops the run before any request to GitHub', async () => {
    hub.addRepo('model', REPO);
    const { error } = await run({
      target: 'github-release,huggingface',
      tag: 'v1',
      token: GH_TOKEN,
      'hf-token': HF_READ,
    });
    expect(github.releases).toHaveLength(0);
    expect(github.requests).toEqual([]);
    expect(errorMessage(error)).toMatch(/^hf-token: the Hub at \S+ says this token may not write model octo\/wheels/);
    expect(hub.history(REPO)).toHaveLength(1);
    expect(hub.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /api/whoami-v2']);
  });

  it('both targets: the Hub refusing the token stops the run before the release is touched', async () => {
    const { error } = await run({
      target: 'github-release, huggingface',
      tag: 'v1',
      token: GH_TOKEN,
      'hf-token': 'hf_S3CRET_unknown_0123456789abcdef',
    });
    expect(errorMessage(error)).toMatch(/^hf-token: the Hub at \S+ refused it \(401/);
    expect(github.releases).toHaveLength(0);
  });
});
