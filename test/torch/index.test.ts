import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readTorchIndex } from '../../src/torch/read-index';
import { describeSource, loadTorchReleases } from '../../src/torch/load';
import { FACT_RELEASES, FakePytorchIndex, INDEX_NAMES } from '../fakes/pytorch-index';
import { recordingContext } from '../helpers/context';

let html: FakePytorchIndex;
let json: FakePytorchIndex;
let cacheRoot: string;
beforeAll(async () => {
  html = await new FakePytorchIndex().start();
  json = await new FakePytorchIndex(INDEX_NAMES, { json: true }).start();
  cacheRoot = await mkdtemp(path.join(os.tmpdir(), 'sagewheels-torch-cache-'));
});
afterAll(async () => {
  await Promise.all([html.stop(), json.stop()]);
  await rm(cacheRoot, { recursive: true, force: true });
});
afterEach(() => {
  for (const index of [html, json]) {
    index.faults.length = 0;
    index.requests.length = 0;
  }
});

describe('reading the index', () => {
  it('asks for PEP 691 JSON and reads it where the server offers it', async () => {
    const read = await readTorchIndex(json.url);
    expect(read.format).toBe('json');
    expect(json.requests).toEqual([
      { path: '/whl/torch/', accept: 'application/vnd.pypi.simple.v1+json, text/html;q=0.1' },
    ]);
    expect(read.releases.has('2.14.0', '13.2', '3.15t', 'linux-aarch64')).toBe(true);
  });

  it('reads the PEP 503 HTML page otherwise, to the same releases', async () => {
    const fromHtml = await readTorchIndex(html.url);
    const fromJson = await readTorchIndex(json.url);
    expect(fromHtml.format).toBe('html');
    expect(fromHtml.releases.table).toEqual(fromJson.releases.table);
    // The facts' names go through the same parser whether an index serves them or the script reads them.
    const facts = FACT_RELEASES.table;
    const since25 = Object.fromEntries(Object.entries(fromHtml.releases.table).filter(([v]) => v in facts));
    expect(since25).toEqual(facts);
    expect(fromHtml.releases.versions[0]).toBe('1.13.1');
  });

  it('reads the page of one CUDA build, as a mirror of cu128 serves it', async () => {
    const read = await readTorchIndex(`${html.url}/cu128`);
    expect(html.requests[0]!.path).toBe('/whl/cu128/torch/');
    expect(new Set(read.releases.versions.flatMap((v) => read.releases.cudas(v)))).toEqual(new Set(['12.8']));
  });

  it.each<[string, FakePytorchIndex['faults'][number], RegExp]>([
    ['a 5xx', { kind: 'status', status: 503 }, /torch\/: HTTP 503/],
    ['a 404', { kind: 'status', status: 404 }, /torch\/: HTTP 404/],
    ['a body cut off midway', { kind: 'truncate' }, /torch\/: (terminated|other side closed|fetch failed)/],
    [
      'truncated JSON',
      {
        kind: 'body',
        body: '{"meta": {"api-version": "1.1"}, "files": [{"filen',
        contentType: 'application/vnd.pypi.simple.v1+json',
      },
      /not valid JSON .*truncated or not an index page/,
    ],
    [
      'truncated HTML',
      {
        kind: 'body',
        body: '<html><body><a href="/x/torch-2.7.1%2Bcu128-cp312-cp312-win_amd64.whl">torch-2',
        contentType: 'text/html',
      },
      /ends before <\/html>: truncated/,
    ],
    [
      'a login page of a proxy',
      { kind: 'body', body: '<html><body><a href="/login">Sign in</a></body></html>', contentType: 'text/html' },
      /lists 1 files and no CUDA wheel of torch/,
    ],
    [
      'JSON of something else',
      { kind: 'body', body: '{"error": "quota"}', contentType: 'application/json' },
      /not a PEP 691 page/,
    ],
  ])('fails on %s, naming the URL', async (_, fault, message) => {
    json.faults.push(fault);
    const error = (await readTorchIndex(json.url).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toContain(`${json.url}/torch/`);
    expect(error.message).toMatch(message);
  });

  it('gives up on an index that does not answer, after the timeout', async () => {
    html.faults.push({ kind: 'hang' });
    const started = Date.now();
    await expect(readTorchIndex(html.url, { timeoutMs: 300 })).rejects.toThrow(/torch\/: timed out/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('refuses a page larger than the cap', async () => {
    await expect(readTorchIndex(html.url, { maxBytes: 10_000 })).rejects.toThrow(/more than the 10000 allowed/);
  });
});

describe('loading releases: index, cache, snapshot', () => {
  const now = new Date('2026-11-30T12:00:00Z');
  const load = async (index: string, extra: { cacheDir?: string; at?: Date; timeoutMs?: number } = {}) => {
    const ctx = recordingContext();
    const result = await loadTorchReleases({
      index,
      cacheDir: extra.cacheDir,
      timeoutMs: extra.timeoutMs,
      now: () => extra.at ?? now,
      log: ctx.log,
    });
    return { ...result, ctx };
  };

  it('reads the index once, then plans from the cache until it is 6 hours old', async () => {
    const cacheDir = path.join(cacheRoot, 'age');
    const first = await load(html.url, { cacheDir });
    expect(first.source).toEqual({ kind: 'index', url: html.url, readAt: now.toISOString(), cached: false });
    const second = await load(html.url, { cacheDir, at: new Date(now.getTime() + 5 * 3600_000) });
    expect(second.source).toMatchObject({ kind: 'index', cached: true, readAt: now.toISOString() });
    expect(second.releases.table).toEqual(first.releases.table);
    expect(html.requests).toHaveLength(1);
    const third = await load(html.url, { cacheDir, at: new Date(now.getTime() + 7 * 3600_000) });
    expect(third.source).toMatchObject({ cached: false });
    expect(html.requests).toHaveLength(2);
    expect(describeSource(second.source)).toBe(
      `PyTorch releases: the index ${html.url}, read at 2026-11-30T12:00:00.000Z (cached)`,
    );
  });

  it('keeps one cache file per index, and a broken cache file counts as absent', async () => {
    const cacheDir = path.join(cacheRoot, 'broken');
    await load(html.url, { cacheDir });
    await load(`${html.url}/cu128`, { cacheDir });
    const files = await readdir(cacheDir);
    expect(files).toHaveLength(2);
    for (const file of files) await writeFile(path.join(cacheDir, file), '{"url": "trunc');
    const again = await load(html.url, { cacheDir });
    expect(again.source).toMatchObject({ cached: false });
  });

  it.each<[string, FakePytorchIndex['faults'][number]]>([
    ['5xx', { kind: 'status', status: 502 }],
    ['truncated body', { kind: 'truncate' }],
    ['garbage', { kind: 'body', body: 'Bad Gateway', contentType: 'text/plain' }],
    ['timeout', { kind: 'hang' }],
  ])('falls back to the snapshot with a warning naming the URL on %s, never to an empty plan', async (_, fault) => {
    html.faults.push(fault);
    const { releases, source, ctx } = await load(html.url, { timeoutMs: 300 });
    expect(source).toMatchObject({ kind: 'snapshot' });
    expect(releases.versions.length).toBeGreaterThan(10);
    const warnings = ctx.lines.filter((l) => l.level === 'warning');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toMatch(
      new RegExp(
        `^PyTorch's index could not be read \\(${html.url}/torch/: .+\\): planning from the embedded snapshot of \\d{4}-\\d\\d-\\d\\d`,
      ),
    );
    expect(describeSource(source)).toMatch(
      /^PyTorch releases: the embedded snapshot of \d{4}-\d\d-\d\d[^(]* \(the index failed: /,
    );
  });

  it('does not cache a failed read', async () => {
    const cacheDir = path.join(cacheRoot, 'failed');
    html.faults.push({ kind: 'status', status: 500 });
    await load(html.url, { cacheDir });
    expect(await readdir(cacheDir).catch(() => [])).toEqual([]);
    expect((await load(html.url, { cacheDir })).source).toMatchObject({ kind: 'index', cached: false });
  });
});
