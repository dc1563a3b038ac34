import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseSidecar } from '../../src/publish/views';
import { FakeGitHub } from '../fakes/github';
import { request, runPublisher, sha256, text, wheelFiles, wheelName } from './helpers';

describe('publish to a new release', () => {
  let fake: FakeGitHub;
  beforeAll(async () => {
    fake = await new FakeGitHub('ghs_publishtoken', 30, { maxPerPage: 2 }).start();
  });
  afterAll(() => fake.stop());

  it('creates the release at the workflow commit and uploads every wheel under its exact name with its checksums', async () => {
    const { wheels, data } = await wheelFiles([wheelName(0), wheelName(1), wheelName(2, 'cu130torch2.9.0', 'cp313')]);
    wheels[0]!.archs = ['sm_80', 'sm_120a'];
    const result = await runPublisher(fake, request(wheels, { indexPage: true }));

    const [release] = fake.releasesTagged('v1');
    expect(fake.releasesTagged('v1')).toHaveLength(1);
    expect(release).toMatchObject({ draft: false, prerelease: false, target_commitish: 'abc123', name: 'v1' });
    expect(result.releaseCreated).toBe(true);
    for (const wheel of wheels) {
      const asset = release!.assets.find((a) => a.name === wheel.name)!;
      // The "+" survived: GitHub would have stored "2.2.0.cu128torch2.7.1" had it arrived unencoded.
      expect(asset.name).toContain('+cu');
      expect(asset.data.equals(data.get(wheel.name)!)).toBe(true);
      expect(asset.content_type).toBe('application/octet-stream');
      expect(parseSidecar(text(fake, 'v1', `${wheel.name}.sha256`)!).sha256).toBe(sha256(data.get(wheel.name)!));
    }
    expect(text(fake, 'v1', `${wheels[0]!.name}.sha256`)).toMatch(
      /^# archs: sm_80 sm_120a\n[0-9a-f]{64} {2}sageattention/,
    );
    const sums = text(fake, 'v1', 'SHA256SUMS')!;
    expect(sums.trim().split('\n').sort()).toEqual(wheels.map((w) => `${sha256(data.get(w.name)!)}  ${w.name}`).sort());
    expect(result.assets.map((a) => a.action)).toEqual(['create', 'create', 'create']);
    expect(result.listings.sort()).toEqual(['SHA256SUMS', 'index.html', 'release notes']);
    expect(result.ctx.lines.filter((l) => l.level === 'warning')).toEqual([]);
    // One job: a constant plus 2 requests per wheel (the wheel and its sidecar), each counted.
    expect(result.usage.requests).toBe(fake.requests.length);
    expect(result.usage.requests).toBeLessThanOrEqual(6 + 2 * wheels.length);
    expect(result.usage).toMatchObject({ limit: 1000, remaining: 1000 - fake.requests.length });

    expect(release!.body).toContain(`| [${wheels[0]!.name}](`);
    expect(release!.body).toMatch(/\| 3\.12 \| 2\.7\.1 \| 12\.8 \| linux_x86_64 \| sm_80 sm_120a \| 39\.1 KiB \|/);
    expect(release!.body).toMatch(/\| 3\.13 \| 2\.9\.0 \| 13\.0 \| linux_x86_64 \| — \|/);
    expect(release!.body).toContain(
      `pip install ${fake.url}/octo/wheels/releases/download/v1/${encodeURIComponent(wheels[2]!.name)}`,
    );
    const index = text(fake, 'v1', 'index.html')!;
    expect(index).toContain(
      `${encodeURIComponent(wheels[1]!.name)}#sha256=${sha256(data.get(wheels[1]!.name)!)}">${wheels[1]!.name}</a>`,
    );
  });
});

describe('on-conflict', () => {
  let fake: FakeGitHub;
  let files: Awaited<ReturnType<typeof wheelFiles>>;
  let other: Buffer;
  beforeAll(async () => {
    fake = await new FakeGitHub('ghs_conflicttoken').start();
    files = await wheelFiles([wheelName(0), wheelName(1), wheelName(2)]);
    other = Buffer.from('a different build of the same wheel');
  });
  afterAll(() => fake.stop());
  // The release holds wheel 0 identical to ours, wheel 1 different from ours; wheel 2 is new.
  beforeEach(() => {
    fake.releases.length = 0;
    const release = fake.addRelease({ tag_name: 'v1', body: 'Notes a person wrote.' });
    fake.addAsset(release, wheelName(0), files.data.get(wheelName(0))!);
    fake.addAsset(release, wheelName(1), other);
  });
  const assetData = (name: string) => fake.releases[0]!.assets.find((a) => a.name === name)?.data;

  it('fail: one error naming the conflicting wheel, and nothing changed', async () => {
    const before = fake.requests.length;
    await expect(runPublisher(fake, request(files.wheels, { onConflict: 'fail' }))).rejects.toThrow(
      `on-conflict: fail, and release v1 already has a different ${wheelName(1)}. Use overwrite to replace them or skip to keep them`,
    );
    expect(fake.requests.slice(before).every((r) => r.method === 'GET')).toBe(true);
    expect(fake.releases[0]!.assets.map((a) => a.name)).toEqual([wheelName(0), wheelName(1)]);
  });

  it('skip: leaves the different file, says so, and publishes the rest', async () => {
    const result = await runPublisher(fake, request(files.wheels, { onConflict: 'skip' }));
    expect(result.assets.map((a) => a.action)).toEqual(['unchanged', 'skip', 'create']);
    expect(assetData(wheelName(1))!.equals(other)).toBe(true);
    expect(assetData(wheelName(2))!.equals(files.data.get(wheelName(2))!)).toBe(true);
    expect(result.ctx.text()).toContain(
      `skipped (a different file of that name is published; on-conflict: skip): ${wheelName(1)}`,
    );
    // The listing describes what the release holds, the skipped file included.
    expect(text(fake, 'v1', 'SHA256SUMS')).toContain(`${sha256(other)}  ${wheelName(1)}`);
    expect(fake.releases[0]!.body).toMatch(/^Notes a person wrote\.\n\n<!-- sagewheels: wheels/);
  });

  it('overwrite: deletes the different file and uploads ours; the identical one is left alone', async () => {
    const identicalId = fake.releases[0]!.assets[0]!.id;
    const result = await runPublisher(fake, request(files.wheels, { onConflict: 'overwrite' }));
    expect(result.assets.map((a) => a.action)).toEqual(['unchanged', 'replace', 'create']);
    expect(assetData(wheelName(1))!.equals(files.data.get(wheelName(1))!)).toBe(true);
    expect(fake.releases[0]!.assets[0]!.id).toBe(identicalId);
    expect(text(fake, 'v1', 'SHA256SUMS')).toContain(`${sha256(files.data.get(wheelName(1))!)}  ${wheelName(1)}`);
  });

  it('dry run: says what would be created, replaced and skipped, and sends nothing but GETs', async () => {
    const before = fake.requests.length;
    const result = await runPublisher(fake, request(files.wheels, { onConflict: 'overwrite', dryRun: true }));
    expect(fake.requests.slice(before).every((r) => r.method === 'GET')).toBe(true);
    expect(result.assets.map((a) => a.action)).toEqual(['unchanged', 'replace', 'create']);
    expect(result.ctx.text()).toContain(`would replace: ${wheelName(1)}`);
    expect(result.ctx.text()).toContain(`would create: ${wheelName(2)}`);
    expect(assetData(wheelName(1))!.equals(other)).toBe(true);
  });

  it('without digests (GitHub Enterprise Server), a same-named file is a conflict, and checksums come from the sidecars', async () => {
    const ghes = await new FakeGitHub('ghs_conflicttoken', 30, { digests: false }).start();
    try {
      const release = ghes.addRelease({ tag_name: 'v1' });
      ghes.addAsset(release, wheelName(0), files.data.get(wheelName(0))!);
      await expect(runPublisher(ghes, request(files.wheels))).rejects.toThrow(
        /already has a different sageattention-2\.2\.0\+/,
      );
      await runPublisher(ghes, request(files.wheels, { onConflict: 'skip' }));
      // Wheel 0 was skipped and has no sidecar: no checksum can be known for it, so it is not listed.
      expect(
        text(ghes, 'v1', 'SHA256SUMS')!
          .trim()
          .split('\n')
          .map((l) => l.split('  ')[1]),
      ).toEqual([wheelName(1), wheelName(2)]);
    } finally {
      await ghes.stop();
    }
  });
});
