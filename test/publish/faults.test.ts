import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeGitHub, type FakeRequest } from '../fakes/github';
import { recordingContext } from '../helpers/context';
import { request, runPublisher, SECOND_MS, sha256, text, wheelFiles, wheelName } from './helpers';

// GitHub's faults during publishing, each met the way it must be: retried, cleaned up, or refused at once.
describe('publishing through GitHub faults', () => {
  let fake: FakeGitHub;
  let files: Awaited<ReturnType<typeof wheelFiles>>;
  beforeAll(async () => {
    fake = await new FakeGitHub('ghs_faulttoken').start();
    files = await wheelFiles([wheelName(0), wheelName(1)], 300_000);
  });
  afterAll(() => fake.stop());
  beforeEach(() => {
    fake.releases.length = 0;
    fake.faults.length = 0;
    fake.requests.length = 0;
    fake.addRelease({ tag_name: 'v1' });
  });

  const isUpload = (r: FakeRequest) => r.method === 'POST' && r.path.startsWith('/uploads/');
  const isWheelUpload = (r: FakeRequest) => isUpload(r) && (r.query.get('name') ?? '').endsWith('.whl');
  const wheelAssets = () => fake.releases[0]!.assets.filter((a) => a.name.endsWith('.whl'));
  const expectAllPublished = () => {
    expect(
      wheelAssets()
        .map((a) => [a.name, a.state, a.sha256])
        .sort(),
    ).toEqual(files.wheels.map((w) => [w.name, 'uploaded', sha256(files.data.get(w.name)!)]));
    expect(text(fake, 'v1', 'SHA256SUMS')!.trim().split('\n')).toHaveLength(2);
  };

  it('a 502 that leaves a starter asset: the starter is deleted and the upload retried', async () => {
    fake.badGatewayOnUpload(1, isWheelUpload);
    const { ctx } = await runPublisher(fake, request(files.wheels, { concurrency: 1 }));
    expectAllPublished();
    expect(ctx.text()).toMatch(
      new RegExp(`upload ${wheelName(0).replace(/[.+]/g, '\\$&')}: HTTP 502: 502 Bad Gateway; retry 1 of 4`),
    );
    const starterId = fake.requests.findIndex((r) => r.method === 'DELETE');
    expect(starterId).toBeGreaterThan(fake.requests.findIndex(isWheelUpload));
    expect(fake.requests.filter(isWheelUpload)).toHaveLength(3);
  });

  it('a connection reset halfway through the body: the starter is deleted and the upload retried', async () => {
    fake.resetOnUpload(1);
    const { ctx } = await runPublisher(fake, request(files.wheels, { concurrency: 1 }));
    expectAllPublished();
    expect(ctx.text()).toMatch(/upload sageattention-2\.2\.0\S+: network error: [^;]+; retry 1 of 4/);
    expect(fake.requests.filter((r) => r.method === 'DELETE')).toHaveLength(1);
  });

  it('an upload that landed but whose answer was lost is kept, not uploaded twice', async () => {
    fake.lostAnswerOnUpload(1);
    const { ctx } = await runPublisher(fake, request(files.wheels, { concurrency: 1 }));
    expectAllPublished();
    expect(ctx.text()).toContain('network error');
    expect(fake.requests.filter(isWheelUpload)).toHaveLength(2);
    expect(fake.requests.filter((r) => r.method === 'DELETE')).toHaveLength(0);
  });

  it('a 403 secondary rate limit on an upload: waits its Retry-After, and the other uploads wait too', async () => {
    let answeredAt = 0;
    fake.secondaryRateLimit((r) => isWheelUpload(r) && Boolean((answeredAt = Date.now())), 5);
    const { ctx } = await runPublisher(fake, request(files.wheels, { concurrency: 2 }));
    expectAllPublished();
    expect(ctx.text()).toMatch(/HTTP 403: You have exceeded a secondary rate limit[^;]*; retry 1 of 4 in 5\.0 s/);
    const later = fake.requests.filter((r) => isUpload(r) && r.at > answeredAt);
    expect(later.length).toBeGreaterThan(0);
    // Honouring Retry-After is a lower bound on when any next upload may start, not a speed.
    for (const r of later) expect(r.at - answeredAt).toBeGreaterThanOrEqual(5 * SECOND_MS);
  });

  const isReleaseList = (r: FakeRequest) => r.method === 'GET' && r.path === '/repos/octo/wheels/releases';

  it('a secondary rate limit on an API call is waited out, and said', async () => {
    fake.secondaryRateLimit(isReleaseList, 1);
    const { ctx } = await runPublisher(fake, request(files.wheels));
    expectAllPublished();
    expect(ctx.text()).toMatch(
      /warning: list the releases: HTTP 403: You have exceeded a secondary rate limit[^;]*; retry 1 of 4 in 1\.0 s \(secondary rate limit; every request of this step waits until \d\d:\d\d:\d\d UTC\)/,
    );
  });

  it('an exhausted primary rate limit is waited out until its reset, on API calls and uploads alike', async () => {
    const exhausted = (match: (r: FakeRequest) => boolean) =>
      fake.fault((r, res) => {
        if (!match(r)) return false;
        const reset = String(Math.floor(Date.now() / 1000));
        res.writeHead(403, {
          'content-type': 'application/json',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': reset,
        });
        res.end('{"message":"API rate limit exceeded for installation."}');
        return true;
      });
    exhausted(isReleaseList);
    exhausted(isWheelUpload);
    const { ctx } = await runPublisher(fake, request(files.wheels));
    expectAllPublished();
    expect(ctx.text()).toMatch(
      /list the releases: HTTP 403: API rate limit exceeded for installation\.; retry 1 of 4 in 1\.\d s \(primary/,
    );
    expect(ctx.text()).toMatch(/HTTP 403: API rate limit exceeded for installation\.; retry 1 of 4 in 1\.\d s/);
  });

  it('a 5xx on an API call is retried with backoff', async () => {
    let answered503 = 0;
    fake.fault((r, res) => {
      if (!isReleaseList(r)) return false;
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"message":"Service Unavailable"}');
      return Boolean(++answered503);
    });
    await runPublisher(fake, request(files.wheels));
    expectAllPublished();
    expect(answered503).toBe(1);
    expect(fake.requests.filter(isReleaseList)).toHaveLength(2);
  });

  it('a 4xx that will not change is not retried, and what the run added is removed', async () => {
    fake.fault((r, res) => {
      if (!isWheelUpload(r) || !r.query.get('name')!.includes('2.2.1')) return false;
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"message":"Bad Content-Type header value"}');
      return true;
    });
    const ctx = recordingContext();
    await expect(runPublisher(fake, request(files.wheels, { concurrency: 1 }), ctx)).rejects.toThrow(
      `upload ${wheelName(1)}: HTTP 400: Bad Content-Type header value`,
    );
    expect(fake.requests.filter((r) => isWheelUpload(r) && r.query.get('name') === wheelName(1))).toHaveLength(1);
    // Wheel 0 and its sidecar went up before wheel 1 failed; the roll-back removed both.
    expect(fake.releases[0]!.assets.map((a) => a.name)).toEqual([]);
    expect(ctx.text()).toContain('removed the 2 asset(s) this run added');
  });

  it('a release this run created is removed again when its uploads fail', async () => {
    fake.releases.length = 0;
    fake.fault((r, res) => {
      if (!isWheelUpload(r)) return false;
      res
        .writeHead(422, { 'content-type': 'application/json' })
        .end('{"message":"Validation Failed","errors":[{"resource":"ReleaseAsset","code":"invalid","field":"name"}]}');
      return true;
    });
    await expect(runPublisher(fake, request(files.wheels))).rejects.toThrow(/HTTP 422: Validation Failed/);
    expect(fake.releases).toEqual([]);
  });
});
