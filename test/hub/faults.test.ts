import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HubApiError } from '@huggingface/hub';
import { FakeHub, kindOf } from '../fakes/hub';
import { sha256, wheelName } from '../publish/helpers';
import { fileText, hubRequest, READ_TOKEN, REPO, runHubPublisher, WRITE_TOKEN, zipWheels } from './helpers';

describe('the Hub failing', () => {
  let fake: FakeHub;
  let files: Awaited<ReturnType<typeof zipWheels>>;
  beforeAll(async () => {
    fake = await new FakeHub({ [WRITE_TOKEN]: 'write', [READ_TOKEN]: 'read' }).start();
    files = await zipWheels([wheelName(0), wheelName(1)], 30_000);
  });
  afterAll(() => fake.stop());
  beforeEach(() => {
    fake.repos.clear();
    fake.lfsObjects.clear();
    fake.faults.length = 0;
    fake.requests.length = 0;
    fake.answers.length = 0;
    fake.addRepo('model', REPO);
  });

  const count = (kind: string) => fake.requests.filter((r) => kindOf(r) === kind).length;
  const ours = () => fake.history(REPO).filter((c) => c.title.includes('sagewheels'));
  const intact = () => {
    for (const wheel of files.wheels)
      expect(fake.tree(REPO).get(`wheels/${wheel.name}`)?.lfs).toBe(sha256(files.data.get(wheel.name)!));
  };

  it('5xx and 429 are waited out and tried again, Retry-After honoured', async () => {
    fake.failing((r) => kindOf(r) === 'preupload', 500, 2);
    fake.failing((r) => kindOf(r) === 'lfs-upload', 503, 1);
    fake.failing((r) => kindOf(r) === 'commit', 429, 1, 2);
    fake.failing((r) => kindOf(r) === 'tree', 502, 1);
    const started = Date.now();
    const result = await runHubPublisher(fake, hubRequest(fake, files.wheels));
    expect(result.assets.map((a) => a.action)).toEqual(['create', 'create']);
    intact();
    expect(ours()).toHaveLength(1);
    const warnings = result.ctx.lines.filter((l) => l.level === 'warning').map((l) => l.message);
    expect(warnings.filter((w) => /HTTP 500; retry/.test(w))).toHaveLength(2);
    expect(warnings.some((w) => /^PUT \S+\/lfs-upload\/[0-9a-f]{64}: HTTP 503; retry 1 of 4/.test(w))).toBe(true);
    expect(warnings.some((w) => /\/commit\/main: HTTP 429; retry 1 of 4 in 2\.0 s/.test(w))).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2 * 20); // 2 s of Retry-After at 20 ms a second
  });

  it('a commit whose answer is lost is not made twice, and counts as made', async () => {
    fake.lostAnswerOnCommit();
    const result = await runHubPublisher(fake, hubRequest(fake, files.wheels));
    expect(result.assets.map((a) => a.action)).toEqual(['create', 'create']);
    intact();
    expect(ours()).toHaveLength(1);
    // The second try named the old head and was refused; the plan made on the new head had nothing left to do.
    expect(fake.answers.filter((a) => a.kind === 'commit').map((a) => a.status)).toEqual([200, 412]);
    expect(count('lfs-upload')).toBe(2);
  });

  it('a commit on a head that moved is planned again on the new head: nothing lost', async () => {
    fake.commitElsewhereFirst(REPO, 'main', { 'README.md': '# octo/wheels\n\nEdited by hand meanwhile.\n' });
    const result = await runHubPublisher(fake, hubRequest(fake, files.wheels));
    expect(result.ctx.text()).toMatch(/main moved on since [0-9a-f]{12} \(another commit landed\); planning again/);
    expect(fake.answers.filter((a) => a.kind === 'commit').map((a) => a.status)).toEqual([412, 200]);
    intact();
    expect(ours()).toHaveLength(1);
    const card = fileText(fake, 'README.md')!;
    expect(card).toMatch(/^# octo\/wheels\n\nEdited by hand meanwhile\.\n\n<!-- sagewheels: wheels/);
    expect(card.match(/^pip install /gm)).toHaveLength(2);
    expect(count('lfs-upload')).toBe(2); // the bytes went up once
  });

  it('a token without write access is refused at the first write, before any upload', async () => {
    const error = await runHubPublisher(fake, hubRequest(fake, files.wheels), READ_TOKEN).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HubApiError);
    expect((error as HubApiError).statusCode).toBe(403);
    expect(count('lfs-upload') + count('lfs-batch') + count('commit')).toBe(0);
    expect(ours()).toHaveLength(0);
  });

  it('a Hub that keeps failing fails the run and leaves the branch as it was', async () => {
    fake.failing((r) => kindOf(r) === 'commit', 500, 100);
    const error = await runHubPublisher(fake, hubRequest(fake, files.wheels)).catch((e: unknown) => e);
    expect((error as HubApiError).statusCode).toBe(500);
    expect(fake.answers.filter((a) => a.kind === 'commit')).toHaveLength(5); // the first try and 4 retries
    expect(fake.history(REPO)).toHaveLength(1);
  });
});
