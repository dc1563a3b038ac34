import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/core/errors';
import { GitHubReleaser } from '../../src/github/releases';
import { RateLimitExhausted } from '../../src/github/retry';
import { FakeGitHub } from '../fakes/github';
import { recordingContext } from '../helpers/context';

// The one seam to GitHub releases: finding by tag, one place for access errors, one retry policy.
describe('GitHubReleaser', () => {
  let fake: FakeGitHub;
  beforeEach(async () => {
    fake = await new FakeGitHub('t0ken', 30, { maxPerPage: 2 }).start();
  });
  afterEach(() => fake.stop());
  const releaser = (fields: Partial<ConstructorParameters<typeof GitHubReleaser>[0]> = {}) => {
    const ctx = recordingContext();
    const made = new GitHubReleaser({
      token: 't0ken',
      apiUrl: fake.url,
      repo: { owner: 'o', repo: 'r' },
      write: true,
      secondMs: 10,
      log: ctx.log,
      ...fields,
    });
    return { releaser: made, ctx };
  };

  it('finds a release by tag, drafts included, preferring the published one, with every asset', async () => {
    const draft = fake.addRelease({ tag_name: 'v1', draft: true });
    for (const name of ['a', 'b', 'c']) fake.addAsset(draft, name, Buffer.from(name));
    const { releaser: r } = releaser();
    expect((await r.find('v1'))?.assets.map((a) => a.name)).toEqual(['a', 'b', 'c']);
    const published = fake.addRelease({ tag_name: 'v1' });
    expect((await r.find('v1'))?.id).toBe(published.id);
    expect(await r.find('v2')).toBeUndefined();
    expect(r.usage).toMatchObject({ requests: 3, limit: 1000, remaining: 997 });
  });

  it('finds an old published release beyond the newest page by its tag, and an old draft by paging', async () => {
    const old = fake.addRelease({ tag_name: 'v0' });
    const oldDraft = fake.addRelease({ tag_name: 'v00', draft: true });
    for (let i = 0; i < 120; i++) fake.addRelease({ tag_name: `n${i}` });
    const { releaser: r } = releaser();
    expect((await r.find('v0'))?.id).toBe(old.id);
    expect((await r.find('v00'))?.id).toBe(oldDraft.id);
  });

  it('turns 401, 403 and 404 into errors naming the token, for writing and for reading', async () => {
    const bad = releaser({ token: 'nope' }).releaser;
    await expect(bad.find('v1')).rejects.toThrow('token: GitHub refused it (401 Bad credentials). Give a valid token');
    const reader = releaser({ token: 'nope', write: false }).releaser;
    await expect(reader.find('v1')).rejects.toThrow(/Give a token that can read the releases of this repository$/);
    const answer = (status: number, message: string) =>
      fake.fault((_req, res) =>
        Boolean(res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ message }))),
      );
    answer(403, 'Resource not accessible by integration');
    const error = await releaser()
      .releaser.find('v1')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toBe(
      "token: GitHub answered 403 for o/r (HTTP 403: Resource not accessible by integration). Give a token that may write this repository's releases (permissions: contents: write)",
    );
    // A repository the token cannot see answers 404.
    answer(404, 'Not Found');
    await expect(releaser().releaser.find('v1')).rejects.toThrow(/^token: GitHub answered 404 for o\/r/);
  });

  it('waits out a primary rate limit up to rate-limit-wait, saying until when, and fails with the reset time beyond it', async () => {
    const exhausted = (resetIn: number) =>
      fake.fault((r, res) => {
        if (!r.path.endsWith('/releases')) return false;
        res.writeHead(403, {
          'content-type': 'application/json',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + resetIn),
        });
        res.end('{"message":"API rate limit exceeded for installation."}');
        return true;
      });
    exhausted(2);
    const { releaser: r, ctx } = releaser({ maxWaitSeconds: 10 });
    expect(await r.find('v1')).toBeUndefined();
    expect(ctx.text()).toMatch(
      /warning: list the releases: HTTP 403: API rate limit exceeded for installation\.; retry 1 of 4 in [23]\.\d s \(primary rate limit; every request of this step waits until \d\d:\d\d:\d\d UTC\)/,
    );
    exhausted(3600);
    const error = await r.find('v1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitExhausted);
    expect((error as Error).message).toMatch(
      /^list the releases: GitHub's primary rate limit holds requests until \d\d:\d\d:\d\d UTC, 61 min from now \(HTTP 403: API rate limit exceeded for installation\.\)\. That is longer than rate-limit-wait \(10 s\): rerun after \d\d:\d\d:\d\d UTC, or raise rate-limit-wait$/,
    );
  });

  it('backs off from a 429 and a secondary limit as GitHub documents: Retry-After, else a minute, doubling', async () => {
    fake.tooManyRequests((r) => r.path.endsWith('/releases'), 2);
    fake.tooManyRequests((r) => r.path.endsWith('/releases'));
    const { releaser: r, ctx } = releaser({ maxWaitSeconds: 600 });
    expect(await r.find('v1')).toBeUndefined();
    expect(ctx.text()).toContain('HTTP 429: Too Many Requests; retry 1 of 4 in 2.0 s (secondary rate limit');
    expect(ctx.text()).toContain('HTTP 429: Too Many Requests; retry 2 of 4 in 120.0 s (secondary rate limit');
    // Beyond the bound it fails rather than sleep.
    fake.tooManyRequests((r) => r.path.endsWith('/releases'));
    await expect(releaser({ maxWaitSeconds: 30 }).releaser.find('v1')).rejects.toThrow(
      /secondary rate limit holds requests until .* longer than rate-limit-wait \(30 s\)/,
    );
  });

  it('downloads through the redirect to the object store without sending the token there', async () => {
    const release = fake.addRelease({ tag_name: 'v1' });
    const asset = fake.addAsset(release, 'a.txt', Buffer.from('hello'));
    const { releaser: r } = releaser();
    expect((await r.download(asset))?.toString()).toBe('hello');
    expect(await r.download({ id: 9999, name: 'gone' })).toBeUndefined();
  });

  it('deletes a draft, and never a release that is published', async () => {
    const draft = fake.addRelease({ tag_name: 'v1', draft: true });
    const published = fake.addRelease({ tag_name: 'v2' });
    const { releaser: r } = releaser();
    expect(await r.deleteDraft(draft)).toBe(true);
    expect(await r.deleteDraft(published)).toBe(false);
    expect(fake.releases.map((x) => x.tag_name)).toEqual(['v2']);
  });
});
