import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeGitHub, type FakeRequest } from '../fakes/github';
import { recordingContext } from '../helpers/context';
import { request, runPublisher, sha256, text, wheelFiles, wheelName } from './helpers';

const isUpload = (r: FakeRequest) => r.method === 'POST' && r.path.startsWith('/uploads/');
const changes = (fake: FakeGitHub) => fake.requests.filter((r) => r.method !== 'GET');

// Draft first: on a repository with immutable releases a release is final once published.
describe('draft-first publishing', () => {
  let files: Awaited<ReturnType<typeof wheelFiles>>;
  let fake: FakeGitHub;
  beforeAll(async () => {
    files = await wheelFiles([wheelName(0), wheelName(1)]);
  });
  afterEach(() => fake.stop());

  it('an immutable repository gets a complete release on the first run, published last, nothing deleted', async () => {
    fake = await new FakeGitHub('ghs_immutable', 30, { immutableReleases: true }).start();
    const result = await runPublisher(fake, request(files.wheels, { indexPage: true }));
    const [release] = fake.releasesTagged('v1');
    expect(release).toMatchObject({ draft: false, immutable: true });
    expect(result.published).toBe(true);
    expect(release!.assets.map((a) => a.name).sort()).toEqual(
      [...files.wheels.flatMap((w) => [w.name, `${w.name}.sha256`]), 'SHA256SUMS', 'index.html'].sort(),
    );
    expect(text(fake, 'v1', 'SHA256SUMS')!.trim().split('\n')).toHaveLength(2);
    expect(fake.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
    // Created as a draft, and made public by the last change of all.
    const creation = fake.requests.find((r) => r.method === 'POST' && r.path === '/repos/octo/wheels/releases')!;
    expect(JSON.parse(creation.body.toString())).toMatchObject({ draft: true });
    const last = changes(fake).at(-1)!;
    expect([last.method, JSON.parse(last.body.toString()).draft]).toEqual(['PATCH', false]);
    expect(result.ctx.text()).toMatch(/published release v1/);
  });

  it('an immutable release that holds every wheel counts as done, without a change', async () => {
    fake = await new FakeGitHub('ghs_immutable', 30, { immutableReleases: true }).start();
    await runPublisher(fake, request(files.wheels));
    const before = fake.requests.length;
    const again = await runPublisher(fake, request(files.wheels));
    expect(again.assets.map((a) => a.action)).toEqual(['unchanged', 'unchanged']);
    expect(fake.requests.slice(before).every((r) => r.method === 'GET')).toBe(true);
    expect(again.ctx.text()).toContain('release v1 is immutable and already holds every wheel: nothing to do');
  });

  it('an immutable release that lacks a wheel is a clear error before any upload', async () => {
    fake = await new FakeGitHub('ghs_immutable', 30, { immutableReleases: true }).start();
    await runPublisher(fake, request([files.wheels[0]!]));
    const before = fake.requests.length;
    await expect(runPublisher(fake, request(files.wheels))).rejects.toThrow(
      `tag: release v1 is immutable (published on a repository with immutable releases) and lacks ${wheelName(1)}. Its files can never change: publish these wheels under a new tag`,
    );
    expect(fake.requests.slice(before).every((r) => r.method === 'GET')).toBe(true);
  });

  it('a release published by another job while this one uploads: says to publish from one job, and deletes nothing published', async () => {
    fake = await new FakeGitHub('ghs_immutable', 30, { immutableReleases: true }).start();
    fake.addRelease({ tag_name: 'v1', draft: true });
    // The other job publishes the moment this one starts its first upload.
    fake.fault((r) => {
      if (isUpload(r)) Object.assign(fake.releases[0]!, { draft: false, immutable: true });
      return false;
    });
    const ctx = recordingContext();
    await expect(runPublisher(fake, request(files.wheels, { concurrency: 1 }), ctx)).rejects.toThrow(
      /^release v1 was published while this job was uploading, and this repository has immutable releases: .* Publish from one job once every wheel is built/,
    );
    expect(fake.releasesTagged('v1')).toHaveLength(1);
  });

  it('a tag an immutable release used once: a new tag, GitHub says, and so does the error', async () => {
    fake = await new FakeGitHub('ghs_immutable', 30, { immutableReleases: true }).start();
    fake.burntTags.add('v1');
    await expect(runPublisher(fake, request(files.wheels))).rejects.toThrow(
      /^tag: v1 was used by an immutable release, and GitHub refuses a new release for it \(.*tag_name was used by an immutable release.*\)\. Publish under a new tag$/,
    );
  });

  it('draft: true leaves the release a draft with every file on it', async () => {
    fake = await new FakeGitHub('ghs_immutable', 30, { immutableReleases: true }).start();
    const result = await runPublisher(
      fake,
      request(files.wheels, { release: { tag: 'v1', draft: true, prerelease: false } }),
    );
    expect(fake.releasesTagged('v1')[0]).toMatchObject({ draft: true, immutable: false });
    expect(result.published).toBe(false);
    expect(text(fake, 'v1', 'SHA256SUMS')!.trim().split('\n')).toHaveLength(2);
  });

  it('GITHUB_TOKEN may not tag a commit that changes workflows: the error says why and what to do', async () => {
    fake = await new FakeGitHub('ghs_immutable').start();
    fake.workflowCommits.add('abc123');
    const error = (await runPublisher(fake, request(files.wheels)).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(
      /^GitHub refused to create tag v1 at abc123 \(HTTP 403: Resource not accessible by integration[^)]*\): that commit's \.github\/workflows\/ differs from the default branch, and GITHUB_TOKEN may not create such a tag\. Push the tag first \(git tag v1 && git push origin v1\) and run again, or give a token with the workflows permission/,
    );
    expect(fake.releases).toEqual([]);
  });

  it('refused when publishing the draft: every file stays on the draft, and the error links it', async () => {
    fake = await new FakeGitHub('ghs_immutable').start();
    fake.addRelease({ tag_name: 'v1', draft: true, target_commitish: 'abc123' });
    fake.workflowCommits.add('abc123');
    const error = (await runPublisher(fake, request(files.wheels)).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/^GitHub refused to create tag v1 at abc123 .* Push the tag first/);
    expect(error.message).toMatch(/Every file is on the draft release, ready to publish: http:\/\/\S+$/);
    const [draft] = fake.releasesTagged('v1');
    expect(draft!.draft).toBe(true);
    expect(draft!.assets.filter((a) => a.name.endsWith('.whl'))).toHaveLength(2);
  });

  it('a failed upload on a published (mutable) release removes only what the run added; the release stays', async () => {
    fake = await new FakeGitHub('ghs_immutable').start();
    fake.addRelease({ tag_name: 'v1' });
    fake.fault((r, res) => {
      if (!isUpload(r) || !(r.query.get('name') ?? '').startsWith(wheelName(1))) return false;
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"message":"Bad Content-Type header value"}');
      return true;
    });
    await expect(runPublisher(fake, request(files.wheels, { concurrency: 1 }))).rejects.toThrow(/HTTP 400/);
    expect(fake.releasesTagged('v1')).toHaveLength(1);
    expect(fake.releasesTagged('v1')[0]!.assets).toEqual([]);
    expect(sha256(files.data.get(wheelName(0))!)).toHaveLength(64);
  });
});
