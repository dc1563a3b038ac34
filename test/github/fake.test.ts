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
    const gh = gitHubClient({ token: 't0ken', apiUrl: fake.url, retries: 0 });
    const repo = { owner: 'o', repo: 'r' };
    const created = await gh.rest.repos.createRelease({ ...repo, tag_name: 'v1' });
    expect(created.status).toBe(201);
    const dup = await gh.rest.repos.createRelease({ ...repo, tag_name: 'v1' }).catch((e: { status: number; response: { data: unknown } }) => e);
    expect(dup).toMatchObject({ status: 422, response: { data: { errors: [{ code: 'already_exists' }] } } });

    for (const name of ['a.whl', 'b.whl', 'c.whl']) {
      await gh.rest.repos.uploadReleaseAsset({ ...repo, release_id: created.data.id, name, data: 'xy' as unknown as string, baseUrl: fake.url + '/uploads', headers: { 'content-length': 2, 'content-type': 'application/octet-stream' } });
    }
    const assets = await gh.paginate(gh.rest.repos.listReleaseAssets, { ...repo, release_id: created.data.id, per_page: 2 });
    expect(assets.map((a) => a.name)).toEqual(['a.whl', 'b.whl', 'c.whl']);
    expect((await gh.rest.repos.getReleaseByTag({ ...repo, tag: 'v1' })).data.id).toBe(created.data.id);
  });

  it('hides drafts from the tag lookup and refuses a bad token', async () => {
    fake.addRelease({ tag_name: 'v2', draft: true });
    const gh = gitHubClient({ token: 't0ken', apiUrl: fake.url, retries: 0 });
    await expect(gh.rest.repos.getReleaseByTag({ owner: 'o', repo: 'r', tag: 'v2' })).rejects.toMatchObject({ status: 404 });
    const bad = gitHubClient({ token: 'nope', apiUrl: fake.url, retries: 0 });
    await expect(bad.rest.repos.listReleases({ owner: 'o', repo: 'r' })).rejects.toMatchObject({ status: 401 });
  });
});
