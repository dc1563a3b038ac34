import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSidecar } from '../../src/publish/views';
import { FakeGitHub } from '../fakes/github';
import { request, runPublisher, sha256, text, wheelFiles, wheelName } from './helpers';

// Four matrix jobs publish to one new tag at the same moment, as a release workflow does.
describe.each([
  ['published', false],
  ['draft', true],
])('4 publishers racing on a new tag (%s release)', (_kind, draft) => {
  let fake: FakeGitHub;
  let jobs: Awaited<ReturnType<typeof wheelFiles>>[];
  let results: Awaited<ReturnType<typeof runPublisher>>[];
  beforeAll(async () => {
    // Jittered latency interleaves the jobs' requests; small pages make every listing paginate.
    fake = await new FakeGitHub('ghs_racetoken', 30, { latencyMs: () => Math.random() * 15, maxPerPage: 5 }).start();
    fake.badGatewayOnUpload(1, (r) => (r.query.get('name') ?? '').includes('2.2.21+'));
    jobs = await Promise.all(
      [0, 1, 2, 3].map((job) =>
        wheelFiles(
          [0, 1, 2].map((i) => wheelName(job * 10 + i, `cu12${job}torch2.${job}.0`)),
          20_000,
        ),
      ),
    );
    jobs[0]!.wheels[0]!.archs = ['sm_90a'];
    results = await Promise.all(
      jobs.map((job) =>
        runPublisher(fake, request(job.wheels, { indexPage: true, release: { tag: 'v2', draft, prerelease: false } })),
      ),
    );
  });
  afterAll(() => fake.stop());

  const allWheels = () =>
    jobs.flatMap((job) => job.wheels.map((w) => ({ name: w.name, sha256: sha256(job.data.get(w.name)!) })));

  it('exactly one release has the tag, made by one of them', () => {
    expect(
      fake.requests.filter((r) => r.method === 'POST' && r.path === '/repos/octo/wheels/releases').length,
    ).toBeGreaterThanOrEqual(1);
    expect(fake.releasesTagged('v2')).toHaveLength(1);
    expect(fake.releasesTagged('v2')[0]!.draft).toBe(draft);
    expect(new Set(results.map((r) => r.releaseUrl)).size).toBe(1);
    expect(results.filter((r) => r.releaseCreated)).toHaveLength(1);
  });

  it('holds every wheel once, intact, with its sidecar', () => {
    const assets = fake.releasesTagged('v2')[0]!.assets;
    const wheels = assets.filter((a) => a.name.endsWith('.whl'));
    expect(wheels.map((a) => [a.name, a.state, a.sha256]).sort()).toEqual(
      allWheels()
        .map((w) => [w.name, 'uploaded', w.sha256])
        .sort(),
    );
    for (const w of allWheels()) expect(parseSidecar(text(fake, 'v2', `${w.name}.sha256`)!).sha256).toBe(w.sha256);
    expect(assets.filter((a) => a.state !== 'uploaded')).toEqual([]);
  });

  it("jobs download no listing and hardly any sidecar: sha256s are GitHub's digests", () => {
    const downloads = fake.requests.filter((r) => r.method === 'GET' && /\/releases\/assets\/\d+$/.test(r.path));
    // At most the sidecar of the one wheel whose archs (sm_90a) no other job knows, once by each other job.
    expect(downloads.length).toBeLessThanOrEqual(3);
  });

  it('has a complete SHA256SUMS, index page and wheel table, whichever job wrote them last', () => {
    const expected = allWheels()
      .map((w) => `${w.sha256}  ${w.name}`)
      .sort();
    expect(text(fake, 'v2', 'SHA256SUMS')!.trim().split('\n').sort()).toEqual(expected);
    const links = [...text(fake, 'v2', 'index.html')!.matchAll(/#sha256=([0-9a-f]{64})">([^<]+)</g)].map(
      (m) => `${m[1]}  ${m[2]}`,
    );
    expect(links.sort()).toEqual(expected);
    const body = fake.releasesTagged('v2')[0]!.body;
    expect(body.match(/^\| \[sageattention-/gm)).toHaveLength(12);
    // Lasting URLs, with the tag, also while the release is a draft (whose own URLs say untagged-...).
    expect(
      body.match(new RegExp(`^pip install ${fake.url}/octo/wheels/releases/download/v2/sageattention-`, 'gm')),
    ).toHaveLength(12);
    expect(body).toMatch(
      /sageattention-2\.2\.0\+cu120torch2\.0\.0\S+ \| 3\.12 \| 2\.0\.0 \| 12\.0 \| linux_x86_64 \| sm_90a \|/,
    );
  });
});

// Issue 12, items 3, 4 and 10: what an adversarial battery broke.
describe('races and failures leave the release consistent', () => {
  let fake: FakeGitHub;
  beforeAll(async () => {
    fake = await new FakeGitHub('ghs_racetoken', 30, { latencyMs: () => Math.random() * 15 }).start();
  });
  afterAll(() => fake.stop());

  it.each([1, 2, 3, 4])(
    'four publishers overwriting one name with different bytes (round %i): sidecar and SHA256SUMS match the wheel that stays, the others say superseded',
    async (round) => {
      const tag = `overwrite-${round}`;
      fake.addRelease({ tag_name: tag });
      const name = wheelName(7);
      const jobs = await Promise.all([0, 1, 2, 3].map(() => wheelFiles([name], 10_000)));
      const results = await Promise.all(
        jobs.map((job) =>
          runPublisher(
            fake,
            request(job.wheels, { onConflict: 'overwrite', release: { tag, draft: false, prerelease: false } }),
          ),
        ),
      );
      const release = fake.releasesTagged(tag)[0]!;
      const wheel = release.assets.find((a) => a.name === name)!;
      expect(release.assets.filter((a) => a.name === name)).toHaveLength(1);
      expect(parseSidecar(text(fake, tag, `${name}.sha256`)!).sha256).toBe(wheel.sha256);
      expect(text(fake, tag, 'SHA256SUMS')).toBe(`${wheel.sha256}  ${name}\n`);
      // The job whose bytes stay reports them published; a job that says superseded is right. (A job
      // that finished before another replaced its file could not know.)
      for (const [i, result] of results.entries()) {
        const mine = sha256(jobs[i]!.data.get(name)!) === wheel.sha256;
        if (mine) expect(result.assets[0]!.action).not.toBe('superseded');
        if (result.assets[0]!.action === 'superseded') expect(mine).toBe(false);
        expect(result.ctx.text()).not.toMatch(/token:|HTTP 404/);
      }
      expect(release.assets.filter((a) => a.state !== 'uploaded')).toEqual([]);
    },
  );

  it('the same wheel published by two jobs at once: both succeed, one file, one sidecar, one line', async () => {
    const files = await wheelFiles([wheelName(8)]);
    const results = await Promise.all(
      [0, 1].map(() =>
        runPublisher(fake, request(files.wheels, { release: { tag: 'same', draft: false, prerelease: false } })),
      ),
    );
    expect(results.map((r) => r.assets[0]!.action).sort()).toEqual(['create', 'unchanged']);
    const release = fake.releasesTagged('same')[0]!;
    expect(release.assets.map((a) => a.name).sort()).toEqual(['SHA256SUMS', wheelName(8), `${wheelName(8)}.sha256`]);
    expect(text(fake, 'same', 'SHA256SUMS')).toBe(`${sha256(files.data.get(wheelName(8))!)}  ${wheelName(8)}\n`);
  });

  it('uploads that keep failing leave no release behind, and none is public while uploads run', async () => {
    const files = await wheelFiles([wheelName(9)], 100_000);
    const seen: boolean[] = [];
    fake.badGatewayOnUpload(5, () => Boolean(seen.push(fake.releasesTagged('failing')[0]!.draft)));
    await expect(
      runPublisher(fake, request(files.wheels, { release: { tag: 'failing', draft: false, prerelease: false } })),
    ).rejects.toThrow(/HTTP 502/);
    // A SIGTERM at any of these moments would have left a draft, which the next run finds and completes.
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((draft) => draft)).toBe(true);
    expect(fake.releasesTagged('failing')).toEqual([]);
    fake.faults.length = 0;
  });
});
