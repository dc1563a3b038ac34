import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeHub, kindOf } from '../fakes/hub';
import { sha256, wheelName } from '../publish/helpers';
import { fileText, hubRequest, REPO, runHubPublisher, WRITE_TOKEN, zipWheels } from './helpers';

// Four matrix jobs publish to one new branch of a repository that does not exist yet, at the same moment.
describe('4 publishers racing on a new repository and branch', () => {
  let fake: FakeHub;
  let jobs: Awaited<ReturnType<typeof zipWheels>>[];
  let results: Awaited<ReturnType<typeof runHubPublisher>>[];
  beforeAll(async () => {
    // Jittered latency interleaves the jobs' requests; small pages make every tree listing paginate.
    // The last job's wheels are larger: they go up in parts, as the Hub has large files sent.
    fake = await new FakeHub(
      { [WRITE_TOKEN]: 'write' },
      { latencyMs: () => Math.random() * 15, pageSize: 4, multipart: { over: 30_000, chunkSize: 16_384 } },
    ).start();
    fake.failing((r) => kindOf(r) === 'lfs-upload', 502, 1);
    fake.failing((r) => kindOf(r) === 'lfs-part', 503, 1);
    fake.failing((r) => kindOf(r) === 'commit', 429, 1, 1);
    jobs = await Promise.all(
      [0, 1, 2, 3].map((job) =>
        zipWheels(
          [0, 1, 2].map((i) => wheelName(job * 10 + i, `cu12${job}torch2.${job}.0`)),
          job === 3 ? 50_000 : 20_000,
        ),
      ),
    );
    jobs[0]!.wheels[0]!.archs = ['sm_90a'];
    results = await Promise.all(
      jobs.map((job) => runHubPublisher(fake, hubRequest(fake, job.wheels, { revision: 'v2' }))),
    );
  });
  afterAll(() => fake.stop());

  const allWheels = () =>
    jobs.flatMap((job) => job.wheels.map((w) => ({ name: w.name, sha256: sha256(job.data.get(w.name)!) })));

  it('all of them tried to create the repository and the branch; one of each exists', () => {
    expect(fake.requests.filter((r) => kindOf(r) === 'create-repo').length).toBeGreaterThan(1);
    expect(fake.repos.size).toBe(1);
    expect(results.filter((r) => r.repoCreated)).toHaveLength(1);
    expect(results.filter((r) => r.branchCreated)).toHaveLength(1);
    expect(new Set(results.map((r) => r.repoUrl))).toEqual(new Set([`${fake.url}/${REPO}/tree/v2`]));
  });

  it('commits raced: stale ones were refused and tried again on the new head', () => {
    expect(fake.answers.filter((a) => a.kind === 'commit' && a.status === 412).length).toBeGreaterThan(0);
    // One commit per job, nothing duplicated: the branch is the repository's first commit and the four jobs'.
    const history = fake.history(REPO, 'v2');
    expect(history.filter((c) => c.title.includes('sagewheels'))).toHaveLength(4);
    expect(history).toHaveLength(5);
    expect(results.every((r) => r.commit !== undefined)).toBe(true);
    expect(results.flatMap((r) => r.assets.map((a) => a.action))).toEqual(Array(12).fill('create'));
  });

  it('holds every wheel once, intact', () => {
    expect(fake.requests.filter((r) => kindOf(r) === 'lfs-complete').length).toBe(3);
    expect(fake.requests.filter((r) => kindOf(r) === 'lfs-part').length).toBe(3 * 4 + 1); // 4 parts each, one retried
    const tree = fake.tree(REPO, 'v2');
    const wheels = [...tree.keys()].filter((p) => p.endsWith('.whl'));
    expect(wheels.sort()).toEqual(
      allWheels()
        .map((w) => `wheels/${w.name}`)
        .sort(),
    );
    for (const w of allWheels()) expect(sha256(tree.get(`wheels/${w.name}`)!.data)).toBe(w.sha256);
  });

  it('has a complete SHA256SUMS and wheel table, whichever job committed last', () => {
    const expected = allWheels()
      .map((w) => `${w.sha256}  ${w.name}`)
      .sort();
    expect(fileText(fake, 'wheels/SHA256SUMS', 'v2')!.trim().split('\n').sort()).toEqual(expected);
    const card = fileText(fake, 'README.md', 'v2')!;
    expect(card.match(/^\| \[sageattention-/gm)).toHaveLength(12);
    expect(
      card.match(new RegExp(`^pip install ${fake.url}/${REPO}/resolve/v2/wheels/sageattention-`, 'gm')),
    ).toHaveLength(12);
    expect(card).toMatch(
      /sageattention-2\.2\.0\+cu120torch2\.0\.0\S+ \| 3\.12 \| 2\.0\.0 \| 12\.0 \| linux_x86_64 \| sm_90a \|/,
    );
    expect(fake.history(REPO, 'main')).toHaveLength(1); // main untouched
  });
});
