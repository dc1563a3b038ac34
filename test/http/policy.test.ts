import fc from 'fast-check';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cancelled, RetryPolicy, systemClock, WaitRefused } from '../../src/http/policy';
import { boundedFetch } from '../../src/http/request';
import { headerGet, rateLimitSeconds, retryAfterSeconds, serverWait } from '../../src/http/wait';
import { virtualClock } from '../helpers/clock';

const NOW = Date.parse('2026-12-08T00:00:00Z');
const quiet = { warning: () => undefined };

describe('the wait a server asks for', () => {
  it('reads every kind of header', () => {
    const get = (headers: Record<string, string>) => headerGet(headers);
    expect(serverWait(get({ ratelimit: '"api";r=0;t=55' }), NOW)).toEqual({ seconds: 55, source: 'RateLimit t=55' });
    expect(
      serverWait(get({ ratelimit: '"api";r=0', 'ratelimit-policy': '"fixed window";"api";q=500;w=300' }), NOW),
    ).toEqual({ seconds: 300, source: 'RateLimit-Policy w=300' });
    expect(serverWait(get({ ratelimit: '"api";r=12;t=55' }), NOW)).toBeUndefined(); // not exhausted
    expect(serverWait(get({ ratelimit: '"a";r=0;t=5, "b";r=0;t=40' }), NOW)?.seconds).toBe(40);
    expect(serverWait(get({ 'retry-after': '7', ratelimit: '"api";r=0;t=55' }), NOW)?.seconds).toBe(7);
    expect(serverWait(get({ 'retry-after': 'Tue, 08 Dec 2026 00:01:30 GMT' }), NOW)?.seconds).toBe(90);
    expect(serverWait(get({ 'retry-after': 'Tue Dec  8 00:00:30 2026' }), NOW)?.seconds).toBe(30);
    expect(serverWait(get({ 'retry-after': 'Mon, 07 Dec 2026 23:00:00 GMT' }), NOW)?.seconds).toBe(0); // past
    const reset = String(NOW / 1000 + 120);
    expect(serverWait(get({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }), NOW)?.seconds).toBe(121);
    expect(serverWait(get({ 'x-ratelimit-remaining': '5', 'x-ratelimit-reset': reset }), NOW)).toBeUndefined();
    expect(serverWait(get({ 'ratelimit-remaining': '0', 'ratelimit-reset': '9' }), NOW)?.seconds).toBe(9);
    for (const junk of ['-5', '1.5', 'soon', '5s', '', '0x10', '1e3', 'Infinity'])
      expect(retryAfterSeconds(junk, NOW)).toBeUndefined();
    expect(rateLimitSeconds(get({ ratelimit: '"api";r=0;t=-3' }))).toBeUndefined();
  });

  // Header values as servers (and broken proxies) send them: numbers of any size, dates near and
  // far, RateLimit items well and badly formed, epoch resets in the past and future, and junk.
  const number = fc.oneof(fc.nat(), fc.bigInt({ min: 0n, max: 10n ** 20n }).map(String), fc.integer().map(String));
  const junk = fc.string({ maxLength: 20 });
  const retryAfter = fc.oneof(
    number.map(String),
    fc
      .date({ min: new Date('1990-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
      .map((d) => d.toUTCString()),
    junk,
  );
  const item = fc
    .tuple(fc.constantFrom('"api"', '"resolvers"', 'api', ''), fc.option(number), fc.option(number), junk)
    .map(([name, r, t, extra]) =>
      [name, r === null ? '' : `;r=${r}`, t === null ? '' : `;t=${t}`, extra ? `;${extra}` : ''].join(''),
    );
  const headers = fc.record(
    {
      'retry-after': retryAfter,
      ratelimit: fc.array(item, { minLength: 1, maxLength: 3 }).map((items) => items.join(', ')),
      'ratelimit-policy': fc.oneof(
        number.map((w) => `"fixed window";"api";q=500;w=${w}`),
        junk,
      ),
      'x-ratelimit-remaining': fc.constantFrom('0', '1', '', 'x'),
      'x-ratelimit-reset': fc.oneof(
        fc.integer({ min: -1e6, max: 1e6 }).map((d) => String(NOW / 1000 + d)),
        junk,
      ),
    },
    { requiredKeys: [] },
  );

  it('is always a number of seconds in [0, bound], or a clear refusal: never NaN, negative or unbounded', async () => {
    await fc.assert(
      fc.asyncProperty(headers, fc.integer({ min: 0, max: 3600 }), async (given, bound) => {
        const wait = serverWait(headerGet(given), NOW);
        if (wait) {
          expect(Number.isFinite(wait.seconds)).toBe(true);
          expect(wait.seconds).toBeGreaterThanOrEqual(0);
        }
        const time = virtualClock(NOW);
        const policy = new RetryPolicy({ maxWaitSeconds: bound, totalSeconds: 10 ** 9, clock: time.clock, log: quiet });
        let tries = 0;
        const outcome = await policy
          .run(
            'read',
            async () => {
              if (tries++ === 0) throw new Error('HTTP 429');
              return 'done';
            },
            () => ({ why: 'HTTP 429', wait: serverWait(headerGet(given), time.now()), limit: 'rate limit' }),
          )
          .catch((error: unknown) => error);
        if (outcome instanceof WaitRefused) {
          expect(wait!.seconds).toBeGreaterThan(bound);
          expect(outcome.message).toMatch(/holds requests until \d\d:\d\d:\d\d UTC, \d+ min from now .*raise/);
        } else {
          expect(outcome).toBe('done');
          expect(time.slept).toHaveLength(1);
          expect(time.slept[0]).toBeGreaterThanOrEqual(0);
          expect(time.slept[0]).toBeLessThanOrEqual(bound * 1000);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('the policy', () => {
  const failing = (wait?: number) => () => ({
    why: 'HTTP 503',
    wait: wait === undefined ? undefined : { seconds: wait, source: `Retry-After ${wait}` },
  });

  it('backs off exponentially with jitter when the server says nothing, and stops at the total bound', async () => {
    const time = virtualClock();
    const lines: string[] = [];
    const policy = new RetryPolicy({
      retries: 10,
      totalSeconds: 20,
      clock: time.clock,
      log: { warning: (l) => lines.push(l) },
    });
    const error = await policy
      .run('read', () => Promise.reject(new Error('HTTP 503')), failing())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitRefused);
    expect((error as Error).message).toMatch(
      /^read: HTTP 503; a retry in [\d.]+ s would pass the 20 s this operation may take \(SAGEWHEELS_RETRY_TIME\)/,
    );
    time.slept.forEach((ms, i) => expect(ms).toBeGreaterThanOrEqual(0.75 * 2 ** i * 1000));
    time.slept.forEach((ms, i) => expect(ms).toBeLessThanOrEqual(1.25 * 2 ** i * 1000));
    expect(time.slept.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(20_000);
    expect(lines[0]).toMatch(/^read: HTTP 503; retry 1 of 10 in [\d.]+ s$/);
  });

  it('takes its bounds from SAGEWHEELS_MAX_WAIT and SAGEWHEELS_RETRY_TIME, and refuses what is not a number', () => {
    const saved = { ...process.env };
    try {
      process.env.SAGEWHEELS_MAX_WAIT = '60';
      process.env.SAGEWHEELS_RETRY_TIME = '120';
      const policy = new RetryPolicy({ log: quiet });
      expect([policy.maxWaitSeconds, policy.totalSeconds]).toEqual([60, 120]);
      process.env.SAGEWHEELS_MAX_WAIT = '5 min';
      expect(() => new RetryPolicy({ log: quiet })).toThrow(
        'SAGEWHEELS_MAX_WAIT: "5 min" is not a whole number of seconds. Give seconds, like 300',
      );
    } finally {
      process.env = saved;
    }
  });

  it('a cancel (SIGTERM) stops a wait at once', async () => {
    const cancel = new AbortController();
    const policy = new RetryPolicy({ clock: systemClock(), signal: cancel.signal, log: quiet });
    const started = Date.now();
    setTimeout(() => cancel.abort('SIGTERM'), 50);
    const error = await policy
      .run('commit', () => Promise.reject(new Error('HTTP 503')), failing(55))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Cancelled);
    expect((error as Error).message).toBe('commit: cancelled (SIGTERM)');
    expect(Date.now() - started).toBeLessThan(1000);
    // and nothing starts after it
    let tries = 0;
    await expect(policy.run('later', async () => tries++, failing())).rejects.toThrow('later: cancelled (SIGTERM)');
    expect(tries).toBe(0);
  });

  describe('and a request in flight', () => {
    let server: Server;
    let url: string;
    beforeAll(async () => {
      server = createServer(() => undefined); // never answers
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    });
    afterAll(() => {
      server.closeAllConnections();
      server.close();
    });

    it('a cancel aborts it at once', async () => {
      const cancel = new AbortController();
      const policy = new RetryPolicy({ signal: cancel.signal, log: quiet });
      const send = boundedFetch(undefined, { signal: policy.cancel });
      const started = Date.now();
      setTimeout(() => cancel.abort('SIGTERM'), 50);
      const error = await policy
        .run(
          'read',
          () => send(url),
          () => ({ why: 'network error' }),
        )
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Cancelled);
      expect(Date.now() - started).toBeLessThan(1000);
    });
  });
});
