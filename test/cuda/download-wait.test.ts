import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { download } from '../../src/cuda/download';
import { WaitRefused } from '../../src/http/policy';
import { FakeRedist } from '../fakes/redist';

// NVIDIA's tree (or a mirror, or a CDN in front of it) rate limiting: the one policy of src/http.
let server: FakeRedist;
let dir: string;
beforeAll(async () => {
  server = await new FakeRedist([]).start();
  server.files.set('/compute/cuda/redist/md5sum.txt', 'abc  x.run\n');
  dir = await mkdtemp(path.join(os.tmpdir(), 'sagewheels-download-'));
});
afterAll(async () => {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

it('waits the RateLimit t a mirror states, says so, then downloads', async () => {
  server.fault('md5sum.txt', 'rate-limited');
  const warnings: string[] = [];
  const started = Date.now();
  const file = path.join(dir, 'a.txt');
  await download(`${server.mirrorUrl}md5sum.txt`, file, { log: { warning: (l) => warnings.push(l) } });
  expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  expect(await readFile(file, 'utf8')).toBe('abc  x.run\n');
  expect(warnings).toEqual([
    expect.stringMatching(
      /^download of http:\S+md5sum\.txt: HTTP 429; retry 1 of 2 in 1\.0 s \(rate limit; .*\) \[RateLimit t=1\]$/,
    ),
  ]);
});

it('refuses a Retry-After of a day at once, naming the bound', async () => {
  server.fault('md5sum.txt', 'rate-limited-day');
  const started = Date.now();
  const error = await download(`${server.mirrorUrl}md5sum.txt`, path.join(dir, 'b.txt')).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WaitRefused);
  expect((error as Error).message).toMatch(
    /1440 min from now \(HTTP 429\)\. That is longer than SAGEWHEELS_MAX_WAIT \(300 s\)/,
  );
  expect(Date.now() - started).toBeLessThan(3000);
});
