import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gitHubClient } from '../../src/github/client';
import { FakeGitHub } from '../fakes/github';

// The fake must answer Octokit the way GitHub does, or every test built on it proves nothing.
describe('FakeGitHub through Octokit', () => {
  let fake: FakeGitHub;
  beforeEach(async () => {
    fake = await new FakeGitHub('t0ken', 2).start();
  });
  afterEach(() => fake.stop());

  it('creates releases, refuses a duplicate tag with 422 already_exists, pages assets', async () => {
    const gh = gitHubClient({ token: 't0ken', apiUrl: fake.url }).octokit;
    const repo = { owner: 'o', repo: 'r' };
    const created = await gh.rest.repos.createRelease({ ...repo, tag_name: 'v1' });
    expect(created.status).toBe(201);
    const dup = await gh.rest.repos
      .createRelease({ ...repo, tag_name: 'v1' })
      .catch((e: { status: number; response: { data: unknown } }) => e);
    expect(dup).toMatchObject({ status: 422, response: { data: { errors: [{ code: 'already_exists' }] } } });

    for (const name of ['a.whl', 'b.whl', 'c.whl']) {
      await gh.rest.repos.uploadReleaseAsset({
        ...repo,
        release_id: created.data.id,
        name,
        data: 'xy' as unknown as string,
        baseUrl: fake.url + '/uploads',
        headers: { 'content-length': 2, 'content-type': 'application/octet-stream' },
      });
    }
    const assets = await gh.paginate(gh.rest.repos.listReleaseAssets, {
      ...repo,
      release_id: created.data.id,
      per_page: 2,
    });
    expect(assets.map((a) => a.name)).toEqual(['a.whl', 'b.whl', 'c.whl']);
    expect((await gh.rest.repos.getReleaseByTag({ ...repo, tag: 'v1' })).data.id).toBe(created.data.id);
  });

  it('hides drafts from the tag lookup and refuses a bad token', async () => {
    fake.addRelease({ tag_name: 'v2', draft: true });
    const gh = gitHubClient({ token: 't0ken', apiUrl: fake.url }).octokit;
    await expect(gh.rest.repos.getReleaseByTag({ owner: 'o', repo: 'r', tag: 'v2' })).rejects.toMatchObject({
      status: 404,
    });
    const bad = gitHubClient({ token: 'nope', apiUrl: fake.url }).octokit;
    await expect(bad.rest.repos.listReleases({ owner: 'o', repo: 'r' })).rejects.toMatchObject({ status: 401 });
  });
});

describe('FakeGitHub as GitHub documents it', () => {
  let fake: FakeGitHub;
  beforeEach(async () => {
    fake = await new FakeGitHub('t0ken').start();
  });
  afterEach(() => fake.stop());
  const repo = { owner: 'o', repo: 'r' };

  it('lets drafts share a tag, lists newest first, and counts requests in rate-limit headers', async () => {
    const gh = gitHubClient({ token: 't0ken', apiUrl: fake.url }).octokit;
    await gh.rest.repos.createRelease({ ...repo, tag_name: 'v1', draft: true });
    const second = await gh.rest.repos.createRelease({ ...repo, tag_name: 'v1', draft: true });
    expect(fake.releasesTagged('v1')).toHaveLength(2);
    const listed = await gh.rest.repos.listReleases(repo);
    expect(listed.data[0]!.id).toBe(second.data.id);
    expect(Number(listed.headers['x-ratelimit-remaining'])).toBe(997);
    expect(listed.headers['x-ratelimit-resource']).toBe('core');
  });

  it('reports a sha256 digest, or none like older Enterprise Servers, and serves downloads as octet-stream', async () => {
    const release = fake.addRelease({ tag_name: 'v1' });
    fake.addAsset(release, 'a.txt', Buffer.from('hello'));
    const gh = gitHubClient({ token: 't0ken', apiUrl: fake.url }).octokit;
    const [asset] = (await gh.rest.repos.listReleaseAssets({ ...repo, release_id: release.id })).data;
    expect((asset as { digest?: string }).digest).toBe(
      'sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
    );
    const download = await fetch(asset!.browser_download_url);
    expect([download.status, download.headers.get('content-type'), await download.text()]).toEqual([
      200,
      'application/octet-stream',
      'hello',
    ]);

    const ghes = await new FakeGitHub('t0ken', 30, { digests: false }).start();
    try {
      ghes.addAsset(ghes.addRelease({ tag_name: 'v1' }), 'a.txt', Buffer.from('hello'));
      const client = gitHubClient({ token: 't0ken', apiUrl: ghes.url }).octokit;
      const [plain] = (await client.rest.repos.listReleaseAssets({ ...repo, release_id: 1 })).data;
      expect(plain).not.toHaveProperty('digest');
    } finally {
      await ghes.stop();
    }
  });
});

describe('FakeGitHub: the rules of today', () => {
  let fake: FakeGitHub;
  afterEach(() => fake.stop());
  const repo = { owner: 'o', repo: 'r' };
  const status = (promise: Promise<unknown>) =>
    promise.then(
      () => 200,
      (e: { status: number }) => e.status,
    );

  it('immutable releases: a published release takes no upload, and its deleted tag cannot be used again', async () => {
    fake = await new FakeGitHub('t0ken', 30, { immutableReleases: true }).start();
    const gh = gitHubClient({ token: 't0ken', apiUrl: fake.url }).octokit;
    const draft = (await gh.rest.repos.createRelease({ ...repo, tag_name: 'v1', draft: true })).data;
    expect(draft).toMatchObject({ draft: true, immutable: false });
    const upload = (name: string) =>
      gh.request({
        method: 'POST',
        url: `${fake.url}/uploads/repos/o/r/releases/${draft.id}/assets?name=${name}`,
        data: 'xy',
        headers: { 'content-type': 'text/plain', 'content-length': 2 },
      });
    expect(await status(upload('a.txt'))).toBe(200);
    const published = (await gh.rest.repos.updateRelease({ ...repo, release_id: draft.id, draft: false })).data;
    expect(published).toMatchObject({ draft: false, immutable: true });
    const refused = await upload('b.txt').catch((e: { status: number; response: { data: { message: string } } }) => e);
    expect(refused).toMatchObject({
      status: 422,
      response: { data: { message: 'Cannot upload assets to an immutable release.' } },
    });
    expect(await status(gh.rest.repos.updateRelease({ ...repo, release_id: draft.id, body: 'notes' }))).toBe(200);
    await gh.rest.repos.deleteRelease({ ...repo, release_id: draft.id });
    const again = await gh.rest.repos.createRelease({ ...repo, tag_name: 'v1', draft: true }).catch((e: unknown) => e);
    expect(again).toMatchObject({
      status: 422,
      response: { data: { errors: [{ message: 'tag_name was used by an immutable release' }] } },
    });
  });

  it('counts 1,000 requests per hour per token, says so in x-ratelimit headers, then answers 403', async () => {
    fake = await new FakeGitHub('t0ken', 30, { rateLimit: 3 }).start();
    const gh = gitHubClient({ token: 't0ken', apiUrl: fake.url }).octokit;
    const first = await gh.rest.repos.listReleases(repo);
    expect(first.headers).toMatchObject({ 'x-ratelimit-limit': '3', 'x-ratelimit-remaining': '2' });
    await gh.rest.repos.listReleases(repo);
    await gh.rest.repos.listReleases(repo);
    const spent = await gh.rest.repos.listReleases(repo).catch((e: unknown) => e);
    expect(spent).toMatchObject({
      status: 403,
      response: {
        headers: { 'x-ratelimit-remaining': '0' },
        data: { message: 'API rate limit exceeded for installation.' },
      },
    });
    // Another token has a budget of its own.
    expect(fake.budget('other').remaining).toBe(3);
    expect(new FakeGitHub().options.rateLimit ?? 1000).toBe(1000);
  });

  it('redirects downloads to another origin that refuses an Authorization header, and answers 429 when told', async () => {
    fake = await new FakeGitHub('t0ken').start();
    const release = fake.addRelease({ tag_name: 'v1' });
    const asset = fake.addAsset(release, 'a.txt', Buffer.from('hello'));
    const located = await fetch(`${fake.url}/repos/o/r/releases/assets/${asset.id}`, {
      headers: { authorization: 'token t0ken', accept: 'application/octet-stream' },
      redirect: 'manual',
    });
    const location = located.headers.get('location')!;
    expect(new URL(location).origin).not.toBe(new URL(fake.url).origin);
    expect((await fetch(location, { headers: { authorization: 'token t0ken' } })).status).toBe(400);
    expect(await (await fetch(location)).text()).toBe('hello');

    fake.tooManyRequests((r) => r.path.endsWith('/releases'), 7);
    const limited = await fetch(`${fake.url}/repos/o/r/releases`, { headers: { authorization: 'token t0ken' } });
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '7']);
  });

  it('refuses to create a tag on a commit that changes .github/workflows/, naming workflows=write', async () => {
    fake = await new FakeGitHub('t0ken').start();
    fake.workflowCommits.add('c0ffee');
    const gh = gitHubClient({ token: 't0ken', apiUrl: fake.url }).octokit;
    const refused = await gh.rest.repos
      .createRelease({ ...repo, tag_name: 'v1', target_commitish: 'c0ffee' })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({
      status: 403,
      response: {
        data: { message: 'Resource not accessible by integration' },
        headers: { 'x-accepted-github-permissions': 'contents=write; contents=write,workflows=write' },
      },
    });
    // A tag that exists already is no new tag: the release is made.
    fake.tags.add('v2');
    expect((await gh.rest.repos.createRelease({ ...repo, tag_name: 'v2', target_commitish: 'c0ffee' })).status).toBe(
      201,
    );
  });
});
