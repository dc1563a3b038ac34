// Publishing 60 wheels of 20 MB to the loopback release API, `concurrency` uploads at once
// against one at a time. Run: node scripts/run-ts.mjs bench/publish.ts [--wheels 60] [--mb 20] [--concurrency 4]
// [--rate-mb 20] [--latency-ms 50]. The fake runs in a worker thread so it has a core of its own.
// Two server models: "remote" reads each upload connection at most --rate-mb MiB/s and answers
// each request after --latency-ms, as a distant server does; "raw" is bare loopback.
import { createHash, randomFillSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { Log } from '../src/core/context';
import { GitHubReleaser } from '../src/github/releases';
import { publish } from '../src/publish/publish';
import type { LocalWheel } from '../src/publish/wheels';
import { FakeGitHub, type FakeGitHubOptions } from '../test/fakes/github';

const TOKEN = 'ghs_benchtoken';
const repo = { owner: 'octo', repo: 'bench' };

interface Held {
  name: string;
  size: number;
  sha256: string;
  state: string;
  text?: string;
}

async function serve(options: FakeGitHubOptions): Promise<void> {
  const fake = await new FakeGitHub(TOKEN, 30, options).start();
  parentPort!.on('message', (tag: string) => {
    const release = fake.releasesTagged(tag);
    const assets: Held[] = (release[0]?.assets ?? []).map((a) => ({
      name: a.name,
      size: a.size,
      sha256: a.sha256,
      state: a.state,
      text: a.size < 1e6 ? a.data.toString() : undefined,
    }));
    parentPort!.postMessage({ releases: release.length, assets });
  });
  parentPort!.postMessage(fake.url);
}

function startServer(options: FakeGitHubOptions): Promise<{
  url: string;
  held: (tag: string) => Promise<{ releases: number; assets: Held[] }>;
  stop: () => Promise<number>;
}> {
  const worker = new Worker(new URL(import.meta.url), { workerData: options });
  return new Promise((resolve) =>
    worker.once('message', (url: string) =>
      resolve({
        url,
        held: (tag) => new Promise((done) => (worker.once('message', done), worker.postMessage(tag))),
        stop: () => worker.terminate(),
      }),
    ),
  );
}

const quiet: Log = {
  info: () => undefined,
  debug: () => undefined,
  notice: () => undefined,
  warning: (m) => console.warn(`  warning: ${m}`),
  group: (_t, body) => body(),
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      wheels: { type: 'string', default: '60' },
      mb: { type: 'string', default: '20' },
      concurrency: { type: 'string', default: '4' },
      'rate-mb': { type: 'string', default: '20' },
      'latency-ms': { type: 'string', default: '50' },
    },
  });
  const count = Number(values.wheels);
  const size = Number(values.mb) * 1024 * 1024;
  const dir = await mkdtemp(path.join(tmpdir(), 'sagewheels-bench-'));
  const wheels: LocalWheel[] = [];
  const sums = new Map<string, string>();
  const data = Buffer.alloc(size);
  for (let i = 0; i < count; i++) {
    const name = `sageattention-2.2.${i}+cu128torch2.7.1-cp312-cp312-linux_x86_64.whl`;
    randomFillSync(data);
    await writeFile(path.join(dir, name), data);
    sums.set(name, createHash('sha256').update(data).digest('hex'));
    wheels.push({ path: path.join(dir, name), name, size, archs: ['sm_80', 'sm_90a', 'sm_120a'] });
  }
  console.log(`${count} wheels of ${values.mb} MiB in ${dir}; node ${process.version}`);

  const models: [string, FakeGitHubOptions][] = [
    [
      `remote (${values['rate-mb']} MiB/s per connection, ${values['latency-ms']} ms per request)`,
      {
        uploadBytesPerSecond: Number(values['rate-mb']) * 1024 * 1024,
        latencyMs: Number(values['latency-ms']),
        keepBytesUpTo: 1e6,
      },
    ],
    ['raw loopback', { keepBytesUpTo: 1e6 }],
  ];
  for (const [model, options] of models) {
    const server = await startServer(options);
    const times: Record<number, number> = {};
    for (const concurrency of [1, Number(values.concurrency)]) {
      const tag = `bench-${concurrency}`;
      const releaser = new GitHubReleaser({ token: TOKEN, apiUrl: server.url, repo, write: true, log: quiet });
      const started = performance.now();
      await publish(
        {
          wheels,
          release: { tag, draft: false, prerelease: false },
          onConflict: 'fail',
          checksums: true,
          indexPage: false,
          dryRun: false,
          concurrency,
        },
        { releaser, log: quiet, secondMs: 1000 },
      );
      times[concurrency] = (performance.now() - started) / 1000;

      // Nothing lost: every wheel intact, a sidecar each, and a complete SHA256SUMS.
      const { releases, assets } = await server.held(tag);
      const wheelAssets = assets.filter((a) => a.name.endsWith('.whl'));
      const intact = wheelAssets.filter(
        (a) => a.state === 'uploaded' && a.size === size && a.sha256 === sums.get(a.name),
      ).length;
      const sidecars = assets.filter(
        (a) => a.name.endsWith('.whl.sha256') && a.text?.includes(sums.get(a.name.slice(0, -7))!),
      ).length;
      const listed = (assets.find((a) => a.name === 'SHA256SUMS')?.text ?? '')
        .trim()
        .split('\n')
        .filter((l) => sums.get(l.split('  ')[1] ?? '') === l.split('  ')[0]).length;
      const ok =
        releases === 1 && intact === count && wheelAssets.length === count && sidecars === count && listed === count;
      console.log(
        `${model}: concurrency ${concurrency}: ${times[concurrency]!.toFixed(1)} s, ${((count * size) / 1024 / 1024 / times[concurrency]!).toFixed(1)} MiB/s; ` +
          `${intact}/${count} wheels intact, ${sidecars} sidecars, ${listed} lines in SHA256SUMS: ${ok ? 'nothing lost' : 'LOST SOMETHING'}`,
      );
      if (!ok) process.exitCode = 1;
    }
    console.log(`${model}: speedup ${(times[1]! / times[Number(values.concurrency)]!).toFixed(2)}x`);
    await server.stop();
  }
  await rm(dir, { recursive: true, force: true });
}

await (isMainThread ? main() : serve(workerData as FakeGitHubOptions));
