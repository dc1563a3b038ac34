import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hubClient, type HubClientOptions } from '../../src/hub/client';
import { publishToHub } from '../../src/hub/publish';
import { FakeHub, kindOf } from '../fakes/hub';
import { recordingContext } from '../helpers/context';
import { virtualClock } from '../helpers/clock';
import { sha256, SECOND_MS, wheelName } from '../publish/helpers';
import { hubRequest, REPO, WRITE_TOKEN, zipWheels } from './helpers';

// Issue 27.2 and 29.3: the Hub's own rate-limit headers, and the bounds on every request.
describe('the Hub rate limiting and misbehaving', () => {
  let fake: FakeHub;
  let files: Awaited<ReturnType<typeof zipWheels>>;
  beforeAll(async () => {
    fake = await new FakeHub({ [WRITE_TOKEN]: 'write' }).start();
    files = await zipWheels([wheelName(0), wheelName(1)], 30_000);
  });
  afterAll(() => fake.stop());
  beforeEach(() => {
    fake.repos.clear();
    fake.lfsObjects.clear();
    fake.faults.length = 0;
    fake.requests.length = 0;
    fake.answers.length = 0;
    fake.flooded = 0;
    fake.addRepo('model', REPO);
  });

  const ours = () => fake.history(REPO).filter((c) => c.title.includes('sagewheels'));
  const commits = () => fake.answers.filter((a) => a.kind === 'commit').map((a) => a.status);
  const publish = async (options: Partial<HubClientOptions> = {}) => {
    const ctx = recordingContext();
    const hub = hubClient({ token: WRITE_TOKEN, endpoint: fake.url, log: ctx.log, secondMs: SECOND_MS, ...options });
    const started = Date.now();
    const result = await publishToHub(hubRequest(fake, files.wheels), { hub, log: ctx.log, secondMs: SECOND_MS })
      .then((r) => ({ ...r, error: undefined }))
      .catch((error: unknown) => ({ error: error as Error }));
    return { ...result, ctx, ms: Date.now() - started };
  };

  it('a 429 with RateLimit t=55 and no Retry-After is waited out (55 s on the clock), then one commit lands', async () => {
    const time = virtualClock();
    fake.rateLimited((r) => kindOf(r) === 'commit', 55, time.now);
    const { error, ctx } = await publish({ clock: time.clock });
    expect(error).toBeUndefined();
    expect(commits()).toEqual([429, 200]);
    expect(ours()).toHaveLength(1);
    for (const wheel of files.wheels)
      expect(fake.tree(REPO).get(`wheels/${wheel.name}`)?.lfs).toBe(sha256(files.data.get(wheel.name)!));
    expect(time.slept).toEqual([55_000]);
    expect(ctx.text()).toMatch(
      /warning: POST http:\/\/127\.0\.0\.1:\d+\/api\/models\/octo\/wheels\/commit\/main: HTTP 429; retry 1 of 4 in 55\.0 s \(rate limit; every request of this step waits until \d\d:\d\d:\d\d UTC\) \[RateLimit t=55\]/,
    );
  });

  it('a real one-second RateLimit window is waited out end to end', async () => {
    fake.rateLimited((r) => kindOf(r) === 'commit', 1);
    const { error, ms } = await publish({ secondMs: 1000 });
    expect(error).toBeUndefined();
    expect(commits()).toEqual([429, 200]);
    expect(ours()).toHaveLength(1);
    expect(ms).toBeGreaterThanOrEqual(900);
  });

  it('a wait past the bound (Retry-After: 86400) fails at once, saying until when and what raises the bound', async () => {
    fake.rateLimited((r) => kindOf(r) === 'commit', 86_400, Date.now, '86400');
    const { error, ms } = await publish({ secondMs: 1000 });
    expect(error?.message).toMatch(
      /^POST \S+\/commit\/main: 127\.0\.0\.1:\d+'s rate limit holds requests until \d\d:\d\d:\d\d UTC, 1440 min from now \(HTTP 429\)\. That is longer than SAGEWHEELS_MAX_WAIT \(300 s\): rerun after \d\d:\d\d:\d\d UTC, or raise SAGEWHEELS_MAX_WAIT$/,
    );
    expect(ms).toBeLessThan(5000);
    expect(commits()).toEqual([429]);
    expect(ours()).toHaveLength(0);
  });

  it('a RateLimit window longer than the bound is refused; a raised bound waits it out', async () => {
    const time = virtualClock();
    fake.rateLimited((r) => kindOf(r) === 'commit', 400, time.now);
    expect((await publish({ clock: time.clock })).error?.message).toMatch(
      /7 min from now .* SAGEWHEELS_MAX_WAIT \(300 s\)/,
    );
    expect(time.slept).toEqual([]);
    const { error } = await publish({ clock: time.clock, maxWaitSeconds: 600 });
    expect(error).toBeUndefined();
    expect(time.slept).toEqual([400_000]);
    expect(ours()).toHaveLength(1);
  });

  const tight = { connectMs: 1000, idleMs: 300, totalMs: 1500, maxBytes: 32 * 2 ** 20 };
  it.each([
    ['hangs without answering', 'hang', /timed out: 127\.0\.0\.1:\d+ did not answer within 0\.3 s/],
    [
      'drips its answer a byte at a time',
      'drip',
      /timed out: 127\.0\.0\.1:\d+ took longer than the 1\.5 s a request may take/,
    ],
    [
      'answers, then hangs',
      'answer-then-hang',
      /timed out: 127\.0\.0\.1:\d+ sent nothing for 0\.3 s in the middle of its answer/,
    ],
  ] as const)('a Hub that %s fails clearly within the bounds', async (_, kind, message) => {
    // Every read of the repository (its head first): bodies the client must read.
    fake.stalling((r) => r.method === 'GET' && kindOf(r) !== 'info', kind);
    const { error, ms } = await publish({ bounds: tight, retries: 1 });
    expect(error?.message).toMatch(message);
    expect(ms).toBeLessThan(8000);
    expect(ours()).toHaveLength(0);
  });

  it('a 1 GB answer is cut off at the 32 MiB cap, not buffered', async () => {
    fake.stalling((r) => r.method === 'GET' && kindOf(r) !== 'info', 'flood');
    const before = process.memoryUsage().rss;
    const { error } = await publish();
    expect(error?.message).toMatch(/127\.0\.0\.1:\d+ sent more than the 33554432 allowed bytes/);
    expect(fake.flooded).toBeLessThan(200 * 2 ** 20); // what socket buffers held when the client hung up
    expect(process.memoryUsage().rss - before).toBeLessThan(400 * 2 ** 20);
    expect(fake.requests.filter((r) => r.method === 'GET' && kindOf(r) !== 'info')).toHaveLength(1); // not retried
  });
});
