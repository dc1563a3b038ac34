import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWheel, type BuildOptions } from '../../src/builder/build';
import { findCcache, remoteStores, wireCcache } from '../../src/builder/cache';
import { findToolkit } from '../../src/builder/toolkit';
import { Inputs } from '../../src/core/step';
import { PROFILES } from '../../src/packages/profiles';
import { step } from '../../src/steps/build';
import { recordingContext } from '../helpers/context';
import { offlinePipEnv } from '../helpers/offline-pip';

const wheelSha256 = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

// Debian's redis-server (apt-get install redis-server), on a free loopback port, one per test file.
const FIXTURE = path.resolve(import.meta.dirname, '../fixtures/cudapkg');
const PASSWORD = 'p4ss-w0rd-for-the-fleet';
const offline = offlinePipEnv();

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** One RESP command to the server; its reply line ("+PONG", ":3", "-NOAUTH ..."). */
async function redisCommand(port: number, ...words: string[]): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  const reply = new Promise<string>((resolve, reject) => {
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString();
      if (data.includes('\r\n')) resolve(data.split('\r\n')[0]!);
    });
    socket.on('error', reject);
  });
  socket.write(`*${words.length}\r\n${words.map((w) => `$${Buffer.byteLength(w)}\r\n${w}\r\n`).join('')}`);
  try {
    return await reply;
  } finally {
    socket.destroy();
  }
}

interface Redis {
  port: number;
  process: ChildProcess;
  keys(): Promise<number>;
  stop(): Promise<void>;
}

async function startRedis(): Promise<Redis> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', PASSWORD],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; ; i++) {
    const pong = await redisCommand(port, 'AUTH', PASSWORD).catch(() => '');
    if (pong === '+OK') break;
    if (i > 100 || child.exitCode !== null) throw new Error(`redis-server did not start on port ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    port,
    process: child,
    keys: async () => {
      const socket = connect(port, '127.0.0.1');
      const reply = new Promise<string>((resolve) => {
        let data = '';
        socket.on('data', (chunk) => {
          data += chunk.toString();
          const lines = data.split('\r\n');
          if (lines.length >= 3) resolve(lines[1]!);
        });
      });
      socket.write(`*2\r\n$4\r\nAUTH\r\n$${PASSWORD.length}\r\n${PASSWORD}\r\n*1\r\n$6\r\nDBSIZE\r\n`);
      const line = await reply;
      socket.destroy();
      return Number(line.slice(1));
    },
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

let root: string;
let redis: Redis;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cache-remote-'));
  redis = await startRedis();
});
afterAll(() => redis.stop());

describe('two runners sharing one Redis (real redis-server, ccache, nvcc)', () => {
  const saved = { ...process.env };
  afterAll(() => {
    process.env = saved;
  });

  /** The build step on a "runner" of its own: its own HOME, so its own local cache (compile-cache: auto). */
  async function runner(name: string, url: string, compileCache = 'auto') {
    const home = path.join(root, name);
    await mkdir(home);
    process.env = { ...saved, ...offline, HOME: home, RUNNER_TEMP: home };
    delete process.env.CCACHE_DIR;
    const ctx = recordingContext();
    const inputs = new Inputs(step.spec, {
      package: 'generic',
      container: 'none',
      source: FIXTURE,
      python: '3.12',
      torch: 'none',
      'arch-list': '8.0',
      'compile-cache': compileCache,
      'compile-cache-url': compileCache === 'off' ? '' : url,
      'output-dir': path.join(home, 'out'),
    });
    const outputs = await step.run(inputs, ctx);
    const row = (ctx.summary.find((b) => b.kind === 'table') as { rows: string[][] }).rows[0]!;
    return { ctx, cache: row[3]!, wheel: (JSON.parse(outputs.wheels!) as string[])[0]! };
  }

  it('the second runner (another RUNNER_TEMP and HOME, an empty local cache) hits every compile from Redis, with the same bytes; the password is masked', async () => {
    const url = `redis://${PASSWORD}@127.0.0.1:${redis.port}|connect-timeout=500`;
    const first = await runner('runner-one', url);
    expect(first.cache).toBe('0 hits (0 local, 0 remote), 2 misses, 1 not cacheable');
    expect(await redis.keys()).toBeGreaterThanOrEqual(2);
    const second = await runner('runner-two', url);
    expect(second.cache).toBe('2 hits (0 local, 2 remote), 0 misses, 1 not cacheable');
    expect(second.ctx.secrets).toEqual([PASSWORD]);
    expect(second.ctx.text()).toContain(`remote storage redis://***@127.0.0.1:${redis.port}|connect-timeout=500`);
    expect(second.ctx.text()).not.toContain(PASSWORD);
    expect(JSON.stringify(second.ctx.summary)).not.toContain(PASSWORD);
    expect(second.ctx.lines.filter((l) => l.level === 'warning')).toEqual([]);
    // Its local cache is filled from the remote one: a third build there hits locally.
    const again = await runner('runner-two-again', url);
    expect(again.cache).toMatch(/^2 hits/);
    // A hit never changes the bytes: the wheels built warm (remote, then local hits) are the one
    // built cold, and the one another runner builds with no cache at all.
    const uncached = await runner('runner-three', url, 'off');
    expect(uncached.cache).toBe('uncached');
    const [cold, warmRemote, warmLocal, none] = await Promise.all(
      [first, second, again, uncached].map((r) => wheelSha256(r.wheel)),
    );
    expect(warmRemote).toBe(cold);
    expect(warmLocal).toBe(cold);
    expect(none).toBe(cold);
  }, 600_000);
});

describe('a Redis that is down', () => {
  const options = (url: string, name: string): BuildOptions => ({
    profile: PROFILES.generic,
    source: FIXTURE,
    python: '3.12',
    torch: 'none',
    archList: '8.0',
    versionSuffix: 'auto',
    jobs: '2',
    compileCache: path.join(root, name, 'ccache'),
    remoteCache: remoteStores(url),
    outputDir: path.join(root, name, 'out'),
    env: { ...process.env, ...offline, RUNNER_TEMP: root },
  });

  it('refusing connections: the build succeeds, compiles locally, and warns once', async () => {
    const ctx = recordingContext();
    const result = await buildWheel(options(`redis://127.0.0.1:${await freePort()}`, 'refused'), ctx.log);
    expect(result.wheels).toHaveLength(1);
    expect(result.cache).toMatchObject({ hits: 0, misses: 2, remoteErrors: 2 });
    const warnings = ctx.lines.filter((l) => l.level === 'warning').map((l) => l.message);
    expect(warnings).toEqual([
      expect.stringMatching(/^compile-cache-url: remote storage failed for 2 compiles \(redis:\/\/127\.0\.0\.1:\d+ /),
    ]);
  });

  it('dying in the middle of the build: the build still succeeds', async () => {
    const dying = await startRedis();
    const ctx = recordingContext();
    const log = {
      ...ctx.log,
      // setup.py prints the nvcc command line before it runs it: Redis goes away there.
      info: (message: string) => {
        if (/csrc\/kernels\.cu/.test(message) && dying.process.exitCode === null) dying.process.kill('SIGKILL');
        ctx.log.info(message);
      },
    };
    const url = `redis://${PASSWORD}@127.0.0.1:${dying.port}`;
    const result = await buildWheel(options(url, 'dying'), log);
    await dying.stop();
    expect(result.wheels).toHaveLength(1);
    expect(result.cache).toMatchObject({ hits: 0, misses: 2 });
    expect(result.cache!.remoteErrors).toBeGreaterThanOrEqual(1);
    expect(ctx.text()).toMatch(
      /warning: compile-cache-url: remote storage failed for \d compiles? \(redis:\/\/\*\*\*@/,
    );
  });
});

describe('compile-cache-url', () => {
  it('takes several backends separated by spaces, masks passwords and bearer tokens', () => {
    const stores = remoteStores(
      'redis://secret1@cache:6379/0|connect-timeout=50\n http://ci:secret2@cache.lan/ccache|layout=flat  file:/mnt/ccache|read-only redis://cache-*.lan|shards=a(3),b http://cache|bearer-token=tok3n',
    );
    expect(stores.map((s) => s.shown)).toEqual([
      'redis://***@cache:6379/0|connect-timeout=50',
      'http://ci:***@cache.lan/ccache|layout=flat',
      'file:/mnt/ccache|read-only',
      'redis://cache-*.lan|shards=a(3),b',
      'http://cache|bearer-token=***',
    ]);
    expect(stores.flatMap((s) => s.secrets)).toEqual(['secret1', 'secret2', 'tok3n']);
    expect(remoteStores('  ')).toEqual([]);
  });

  it('refuses what ccache cannot store to, naming the input, before building', async () => {
    expect(() => remoteStores('https://cache.example.com')).toThrow(
      /^compile-cache-url: "https:" is not a ccache remote storage\. Allowed: redis:\/\//,
    );
    expect(() => remoteStores('cache.example.com:6379')).toThrow(/^compile-cache-url: "cache\.example\.com:6379"/);
    const error = await buildWheel(
      {
        profile: PROFILES.generic,
        source: FIXTURE,
        python: '3.12',
        torch: 'none',
        archList: '8.0',
        versionSuffix: 'auto',
        jobs: '1',
        compileCache: 'off',
        remoteCache: remoteStores('redis://cache'),
        outputDir: path.join(root, 'never'),
      },
      recordingContext().log,
    ).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^compile-cache-url: was given with compile-cache: off\./);
  });

  it('with a ccache older than 4.4 says it is not used and caches locally', async () => {
    const found = await findCcache(process.env);
    if (typeof found === 'string') throw new Error(found);
    const work = path.join(root, 'old-ccache');
    await mkdir(work);
    const nvcc = (await findToolkit(undefined)).nvcc;
    const remote = remoteStores('redis://cache.lan');
    const old = await wireCcache(
      { ...found, version: '4.3' },
      { dir: work, workRoot: work, nvcc, buildEnv: process.env, remote },
    );
    expect(old.remote).toBe(false);
    expect(old.env.CCACHE_REMOTE_STORAGE ?? old.env.CCACHE_SECONDARY_STORAGE).toBeUndefined();
    expect(old.notes[0]).toBe(
      'remote storage redis://cache.lan not used: ccache 4.3 has none (it needs 4.4 or newer); compiling with the local cache only',
    );
    // 4.4-4.6 called it secondary storage.
    await mkdir(path.join(work, 'early'));
    const early = await wireCcache(
      { ...found, version: '4.5.1' },
      { dir: work, workRoot: path.join(work, 'early'), nvcc, buildEnv: process.env, remote },
    );
    expect(early.env.CCACHE_SECONDARY_STORAGE).toBe('redis://cache.lan');
  });
});
