// Requests that N matrix jobs spend publishing one wheel each to one new tag at the same moment,
// against GitHub's budget for GITHUB_TOKEN (1,000 requests per hour per repository: one token
// shared by every publisher here). Run: node scripts/run-ts.mjs bench/publish-race.ts [--jobs 10,30,100]
// [--latency-ms 20-80] [--per-job 1] (wheels each job publishes). The loopback release API answers each request after a random latency in
// the range, as a distant server does, so the jobs' requests interleave.
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Log } from '../src/core/context';
import { GitHubReleaser } from '../src/github/releases';
import { publish } from '../src/publish/publish';
import { parseSidecar } from '../src/publish/views';
import type { LocalWheel } from '../src/publish/wheels';
import { FakeGitHub } from '../test/fakes/github';

const TOKEN = 'ghs_benchtoken';
const repo = { owner: 'octo', repo: 'bench' };

const quiet: Log = {
  info: () => undefined,
  debug: () => undefined,
  notice: () => undefined,
  warning: (m) => console.warn(`  warning: ${m}`),
  group: (_t, body) => body(),
};

async function race(jobs: number, latency: [number, number], dir: string): Promise<boolean> {
  const fake = await new FakeGitHub(TOKEN, 30, {
    latencyMs: () => latency[0] + Math.random() * (latency[1] - latency[0]),
    rateLimit: Number(values.limit),
  }).start();
  const wheels: LocalWheel[] = [];
  const sums = new Map<string, string>();
  const perJobWheels = Number(values['per-job']);
  for (let i = 0; i < jobs * perJobWheels; i++) {
    const name = `sageattention-2.2.0+cu128torch2.${i}.0-cp312-cp312-linux_x86_64.whl`;
    const data = randomBytes(64 * 1024);
    await writeFile(path.join(dir, name), data);
    sums.set(name, (await import('node:crypto')).createHash('sha256').update(data).digest('hex'));
    wheels.push({ path: path.join(dir, name), name, size: data.length, archs: ['8.0', '9.0', '12.0'] });
  }
  const started = performance.now();
  const failures: string[] = [];
  const settled = await Promise.all(
    Array.from({ length: jobs }, (_, job) =>
      publish(
        {
          wheels: wheels.slice(job * perJobWheels, (job + 1) * perJobWheels),
          release: { tag: 'v2.2.0', draft: false, prerelease: false, target: 'abc123' },
          onConflict: 'fail',
          checksums: true,
          indexPage: false,
          dryRun: false,
          concurrency: 4,
        },
        {
          releaser: new GitHubReleaser({ token: TOKEN, apiUrl: fake.url, repo, write: true, log: quiet }),
          log: quiet,
          secondMs: 1000,
        },
      ).catch((error: Error) => void failures.push(error.message)),
    ),
  );
  const results = settled.filter((r) => r !== undefined);
  const seconds = (performance.now() - started) / 1000;
  await fake.stop();

  const requests = fake.requests.length;
  const kinds = new Map<string, number>();
  for (const r of fake.requests) {
    const kind = `${r.method} ${r.path.replace(/\d+/g, 'N').replace(/^\/repos\/[^/]+\/[^/]+/, '')}${r.path.startsWith('/uploads') ? ` ${(r.query.get('name') ?? '').replace(/.*\.whl\.sha256$/, '*.sha256').replace(/.*\.whl$/, '*.whl')}` : ''}`;
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  const used = fake.rateLimit.limit - fake.rateLimit.remaining;
  const perJob = results.map((r) => r.usage.requests).sort((a, b) => a - b);
  for (const failure of new Set(failures)) console.log(`  a job failed: ${failure}`);
  const [release, ...others] = fake.releasesTagged('v2.2.0');
  const held = (name: string) => release?.assets.find((a) => a.name === name);
  const intact = wheels.filter((w) => held(w.name)?.sha256 === sums.get(w.name)).length;
  const sidecars = wheels.filter(
    (w) => parseSidecar(held(`${w.name}.sha256`)?.data.toString() ?? '').sha256 === sums.get(w.name),
  ).length;
  const listed = (held('SHA256SUMS')?.data.toString() ?? '')
    .trim()
    .split('\n')
    .filter((line) => sums.get(line.split('  ')[1] ?? '') === line.split('  ')[0]).length;
  const rows = (release?.body.match(/^\| \[sageattention-/gm) ?? []).length;
  const ok =
    others.length === 0 &&
    release !== undefined &&
    !release.draft &&
    intact === wheels.length &&
    sidecars === wheels.length &&
    listed === wheels.length &&
    rows === wheels.length &&
    failures.length === 0 &&
    used <= 1000;
  console.log(
    `${jobs} publishers of ${perJobWheels} wheel(s): ${requests} requests (${(requests / wheels.length).toFixed(2)} per wheel; per job min ${perJob[0]}, median ${perJob[Math.floor(perJob.length / 2)]}, max ${perJob.at(-1)}; ${failures.length} failed), ` +
      `${used} of the token's 1000/hour, ${seconds.toFixed(1)} s; ` +
      `1 release ${others.length === 0 ? 'yes' : `no (${others.length + 1})`}, published ${release && !release.draft ? 'yes' : 'no'}, ` +
      `${intact}/${wheels.length} wheels intact, ${sidecars} sidecars right, ${listed} in SHA256SUMS, ${rows} rows in the notes: ${ok ? 'ok' : 'FAILED'}`,
  );
  if (values.verbose) for (const [kind, n] of [...kinds].sort((a, b) => b[1] - a[1])) console.log(`  ${n} ${kind}`);
  return ok;
}

const { values } = parseArgs({
  options: {
    limit: { type: 'string', default: '1000' },
    verbose: { type: 'boolean', default: false },
    jobs: { type: 'string', default: '10,30,100' },
    'per-job': { type: 'string', default: '1' },
    'latency-ms': { type: 'string', default: '20-80' },
  },
});
const latency = values['latency-ms'].split('-').map(Number) as [number, number];
console.log(
  `node ${process.version}, ${cpus().length} x ${cpus()[0]?.model}; latency ${latency[0]}-${latency[1]} ms per request`,
);
const dir = await mkdtemp(path.join(tmpdir(), 'sagewheels-race-'));
let failed = false;
for (const jobs of values.jobs.split(',').map(Number)) if (!(await race(jobs, latency, dir))) failed = true;
await rm(dir, { recursive: true, force: true });
process.exitCode = failed ? 1 : 0;
