import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/core/errors';
import { FakeHub, kindOf } from '../fakes/hub';
import { sha256, wheelName } from '../publish/helpers';
import { fileText, hubRequest, REPO, runHubPublisher, zipWheels } from './helpers';

const writes = ['create-repo', 'branch', 'preupload', 'lfs-batch', 'lfs-upload', 'commit'];

describe('publishing to the Hub', () => {
  let fake: FakeHub;
  let files: Awaited<ReturnType<typeof zipWheels>>;
  beforeAll(async () => {
    fake = await new FakeHub({ hf_WriteToken_sagewheels_0123456789: 'write' }, { pageSize: 2 }).start();
    files = await zipWheels([wheelName(0), wheelName(1), wheelName(2, 'cu130torch2.11.0')], 30_000);
    files.wheels[0]!.archs = ['8.9', '12.0'];
  });
  afterAll(() => fake.stop());
  beforeEach(() => {
    fake.repos.clear();
    fake.lfsObjects.clear();
    fake.faults.length = 0;
    fake.requests.length = 0;
    fake.answers.length = 0;
  });

  const count = (kind: string) => fake.requests.filter((r) => kindOf(r) === kind).length;

  it('creates the repository and makes one commit: the wheels in their folder, SHA256SUMS and the model card', async () => {
    const result = await runHubPublisher(fake, hubRequest(fake, files.wheels));
    expect(result.repoCreated).toBe(true);
    expect(result.repoUrl).toBe(`${fake.url}/${REPO}`);
    expect(result.assets.map((a) => [a.name, a.action])).toEqual(files.wheels.map((w) => [w.name, 'create']));

    const history = fake.history(REPO);
    expect(history).toHaveLength(2); // the repository's first commit, then ours
    expect(result.commit?.oid).toBe(history[0]!.id);
    const tree = fake.tree(REPO);
    for (const wheel of files.wheels) {
      const stored = tree.get(`wheels/${wheel.name}`)!;
      expect(stored.lfs).toBe(sha256(files.data.get(wheel.name)!)); // through LFS, intact
      expect(stored.data.equals(files.data.get(wheel.name)!)).toBe(true);
    }
    expect(count('lfs-upload')).toBe(3);

    const sums = fileText(fake, 'wheels/SHA256SUMS')!;
    expect(sums.trim().split('\n').sort()).toEqual(
      files.wheels.map((w) => `${sha256(files.data.get(w.name)!)}  ${w.name}`).sort(),
    );
    const card = fileText(fake, 'README.md')!;
    expect(card).toMatch(/^---\ntags:\n- sagewheels\n/);
    expect(card.match(/^\| \[sageattention-/gm)).toHaveLength(3);
    expect(card).toContain(`| 3.12 | 2.7.1 | 12.8 | linux_x86_64 | 8.9 12.0 |`);
    for (const wheel of files.wheels) {
      const url = `${fake.url}/${REPO}/resolve/main/wheels/${encodeURIComponent(wheel.name)}`;
      expect(card).toContain(`\npip install ${url}\n`);
      expect(result.assets.find((a) => a.name === wheel.name)!.url).toBe(url);
      // What pip would download is the wheel itself.
      const response = await fetch(url);
      expect(Buffer.from(await response.arrayBuffer()).equals(files.data.get(wheel.name)!)).toBe(true);
    }
  });

  it('publishing the same wheels again changes nothing and uploads nothing', async () => {
    await runHubPublisher(fake, hubRequest(fake, files.wheels));
    const before = fake.history(REPO).length;
    fake.requests.length = 0;
    const again = await runHubPublisher(fake, hubRequest(fake, files.wheels));
    expect(again.assets.map((a) => a.action)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect(again.commit).toBeUndefined();
    expect(fake.history(REPO)).toHaveLength(before);
    expect(writes.map(count)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('adds to what is there: the table lists every wheel of the folder and keeps archs and words it did not write', async () => {
    await runHubPublisher(fake, hubRequest(fake, files.wheels.slice(0, 1)));
    const repo = fake.repos.get(REPO)!;
    const card = fileText(fake, 'README.md')!;
    fake.addCommit(repo, 'main', 'words', { 'README.md': card.replace('# wheels\n', '# wheels\n\nBuilt nightly.\n') });
    const second = await runHubPublisher(fake, hubRequest(fake, files.wheels.slice(1)));
    expect(second.repoCreated).toBe(false);
    const now = fileText(fake, 'README.md')!;
    expect(now).toContain('Built nightly.');
    expect(now.match(/^\| \[sageattention-/gm)).toHaveLength(3);
    expect(now).toContain('| 8.9 12.0 |'); // the first job's archs, read back from the card
    expect(fileText(fake, 'wheels/SHA256SUMS')!.trim().split('\n')).toHaveLength(3);
  });

  it('wheels in other folders stay in the card; each folder has its own SHA256SUMS', async () => {
    await runHubPublisher(fake, hubRequest(fake, files.wheels.slice(0, 2), { folder: 'cu128' }));
    await runHubPublisher(fake, hubRequest(fake, files.wheels.slice(2), { folder: 'cu130' }));
    const card = fileText(fake, 'README.md')!;
    expect(card.match(/^\| \[sageattention-/gm)).toHaveLength(3);
    expect(card).toContain(`](${fake.url}/${REPO}/resolve/main/cu128/${encodeURIComponent(wheelName(0))}) |`);
    expect(card).toContain('| 8.9 12.0 |');
    expect(card).toContain(
      `pip install ${fake.url}/${REPO}/resolve/main/cu130/${encodeURIComponent(wheelName(2, 'cu130torch2.11.0'))}`,
    );
    expect(fileText(fake, 'cu128/SHA256SUMS')!.trim().split('\n')).toHaveLength(2);
    expect(fileText(fake, 'cu130/SHA256SUMS')!.trim().split('\n')).toEqual([
      `${sha256(files.data.get(wheelName(2, 'cu130torch2.11.0'))!)}  ${wheelName(2, 'cu130torch2.11.0')}`,
    ]);
  });

  it('on-conflict: fail refuses before any upload; skip keeps the other file; overwrite replaces it', async () => {
    const repo = fake.addRepo('model', REPO);
    const other = Buffer.alloc(30_000, 7);
    fake.addCommit(repo, 'main', 'someone', { [`wheels/${wheelName(0)}`]: other });
    fake.requests.length = 0;

    const failed = await runHubPublisher(fake, hubRequest(fake, files.wheels)).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ConfigurationError);
    expect((failed as Error).message).toMatch(
      /^on-conflict: fail, and octo\/wheels@main already has a different wheels\/sageattention-2\.2\.0/,
    );
    expect(writes.map(count)).toEqual([0, 0, 0, 0, 0, 0]);

    const skipped = await runHubPublisher(fake, hubRequest(fake, files.wheels, { onConflict: 'skip' }));
    expect(skipped.assets.map((a) => a.action)).toEqual(['skip', 'create', 'create']);
    expect(
      fake
        .tree(REPO)
        .get(`wheels/${wheelName(0)}`)!
        .data.equals(other),
    ).toBe(true);
    expect(fileText(fake, 'wheels/SHA256SUMS')).toContain(`${sha256(other)}  ${wheelName(0)}`);

    const replaced = await runHubPublisher(fake, hubRequest(fake, files.wheels, { onConflict: 'overwrite' }));
    expect(replaced.assets.map((a) => a.action)).toEqual(['replace', 'unchanged', 'unchanged']);
    expect(fake.tree(REPO).get(`wheels/${wheelName(0)}`)!.lfs).toBe(sha256(files.data.get(wheelName(0))!));
    expect(fileText(fake, 'wheels/SHA256SUMS')).not.toContain(sha256(other));
  });

  it('checksums: false writes no SHA256SUMS', async () => {
    await runHubPublisher(fake, hubRequest(fake, files.wheels, { checksums: false }));
    expect([...fake.tree(REPO).keys()].sort()).toEqual(
      ['.gitattributes', 'README.md', ...files.wheels.map((w) => `wheels/${w.name}`)].sort(),
    );
  });

  it('a dry run reads and changes nothing', async () => {
    const result = await runHubPublisher(fake, hubRequest(fake, files.wheels, { dryRun: true, revision: 'v2' }));
    expect(result.repoCreated).toBe(true);
    expect(result.branchCreated).toBe(true);
    expect(result.assets.map((a) => a.action)).toEqual(['create', 'create', 'create']);
    expect(result.ctx.text()).toContain('would create model repository octo/wheels');
    expect(fake.repos.size).toBe(0);
    expect(writes.map(count)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('a new branch starts from the default branch; a dataset repository has its own URLs', async () => {
    const repo = fake.addRepo('dataset', REPO);
    fake.addCommit(repo, 'main', 'card', { 'README.md': '# Wheels of octo\n' });
    const result = await runHubPublisher(
      fake,
      hubRequest(fake, files.wheels.slice(0, 1), { type: 'dataset', revision: 'release/2.2', folder: '' }),
    );
    expect(result.branchCreated).toBe(true);
    expect(result.repoUrl).toBe(`${fake.url}/datasets/${REPO}/tree/release%2F2.2`);
    expect(result.assets[0]!.url).toBe(
      `${fake.url}/datasets/${REPO}/resolve/release%2F2.2/${encodeURIComponent(wheelName(0))}`,
    );
    expect(fake.history(REPO, 'main')).toHaveLength(2); // main untouched
    const card = fileText(fake, 'README.md', 'release/2.2')!;
    expect(card).toMatch(/^# Wheels of octo\n\n<!-- sagewheels: wheels/);
    expect(fake.tree(REPO, 'release/2.2').has(wheelName(0))).toBe(true);
    expect(fake.tree(REPO, 'release/2.2').has('SHA256SUMS')).toBe(true);
  });
});
