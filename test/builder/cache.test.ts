import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Ccache, cacheDir, findCcache, parseStatsLog, readCacheStats, wireCcache } from '../../src/builder/cache';
import { runChecked } from '../../src/core/exec';
import { findToolkit } from '../../src/builder/toolkit';

const NVCC = (await findToolkit(undefined)).nvcc;
const KERNEL =
  '#ifdef FLAVOUR_B\n__global__ void flavour_b(float *x) { x[0] = 2; }\n#else\n__global__ void flavour_a(float *x) { x[0] = 1; }\n#endif\n';

describe('ccache wired into a build (real ccache, nvcc and gcc)', () => {
  let root: string;
  let ccache: Ccache;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'cache-'));
    const found = await findCcache(process.env);
    if (typeof found === 'string') throw new Error(found);
    ccache = found;
  });

  /** One build in its own work root, as buildWheel lays it out: a source copy compiled from a build folder. */
  async function compile(name: string, extraEnv: Record<string, string> = {}) {
    const work = path.join(root, name);
    const src = path.join(work, 'src');
    await mkdir(path.join(src, 'build'), { recursive: true });
    await writeFile(path.join(src, 'kernel.cu'), KERNEL);
    await writeFile(path.join(src, 'host.c'), 'int answer(void) { return 42; }\n');
    const buildEnv = { ...process.env, ...extraEnv };
    const wiring = await wireCcache(ccache, { dir: path.join(root, 'cache'), workRoot: work, nvcc: NVCC, buildEnv });
    const env = { ...buildEnv, ...wiring.env, PATH: `${wiring.binDir}:${buildEnv.PATH}` };
    const [nvcc, ...nvccArgs] = wiring.env.PYTORCH_NVCC!.split(' ');
    const cwd = path.join(src, 'build');
    await runChecked(
      nvcc!,
      [...nvccArgs, '-c', path.join(src, 'kernel.cu'), '-o', 'kernel.o', '-gencode', 'arch=compute_80,code=sm_80'],
      { cwd, env },
    );
    // What a build finds first on PATH as gcc (exec resolves a bare name against this process's PATH).
    const gcc = path.join(wiring.binDir!, 'gcc');
    await runChecked(gcc, ['-O2', '-g', '-c', path.join(src, 'host.c'), '-o', 'host.o'], { cwd, env });
    await runChecked(gcc, ['-shared', 'host.o', '-o', 'libhost.so'], { cwd, env });
    const symbols = (await runChecked('nm', ['kernel.o'], { cwd })).stdout;
    return { wiring, stats: await readCacheStats(wiring), flavour: /flavour_b/.test(symbols) ? 'b' : 'a' };
  }

  it('hits for the same sources in another work root, nvcc and host compiler alike', async () => {
    const first = await compile('one');
    expect(first.stats).toEqual({
      hits: 0,
      remoteHits: 0,
      remoteErrors: 0,
      misses: 2,
      uncached: 1,
      reasons: { called_for_link: 1 },
    });
    const second = await compile('two');
    expect(second.stats).toMatchObject({ hits: 2, misses: 0 });
    expect(second.flavour).toBe('a');
    expect(second.wiring.env.NVCC_CCBIN).toMatch(/\/gcc$/);
    expect(second.wiring.env.NVCC_CCBIN).not.toContain(root);
  });

  it('misses, rather than returning a stale object, when NVCC_APPEND_FLAGS changes', async () => {
    // nvcc reads NVCC_APPEND_FLAGS itself and ccache does not hash it: the fingerprint file must.
    const changed = await compile('three', { NVCC_APPEND_FLAGS: '-DFLAVOUR_B' });
    expect(changed.flavour).toBe('b');
    expect(changed.stats).toMatchObject({ hits: 0, misses: 2 });
  });

  it("keeps the runner's CXX and runs it through ccache under its own name", async () => {
    for (const name of ['cxx-one', 'cxx-two']) {
      const work = path.join(root, name);
      await mkdir(path.join(work, 'src'), { recursive: true });
      await writeFile(path.join(work, 'src', 'ext.cpp'), 'int twice(int x) { return 2 * x; }\n');
      const buildEnv = { ...process.env, CC: '/usr/bin/gcc', CXX: '/usr/bin/g++' };
      const wiring = await wireCcache(ccache, { dir: path.join(root, 'cache'), workRoot: work, nvcc: NVCC, buildEnv });
      expect(wiring.binDir).toBeUndefined();
      expect(wiring.env.CXX).toBe(path.join(work, 'ccache-cxx', 'g++'));
      await runChecked(wiring.env.CXX!, ['-O2', '-c', 'ext.cpp', '-o', 'ext.o'], {
        cwd: path.join(work, 'src'),
        env: { ...buildEnv, ...wiring.env },
      });
      const stats = await readCacheStats(wiring);
      expect(stats).toMatchObject(name === 'cxx-one' ? { hits: 0, misses: 1 } : { hits: 1, misses: 0 });
    }
  });

  it('leaves CC alone when CXX is not set, and quotes paths with spaces on Windows', async () => {
    const work = path.join(root, 'win');
    await mkdir(work);
    const custom = await wireCcache(ccache, {
      dir: root,
      workRoot: work,
      nvcc: NVCC,
      buildEnv: { ...process.env, CC: '/usr/bin/gcc' },
    });
    expect(custom.binDir).toBeUndefined();
    expect(custom.env.CXX).toBeUndefined();
    expect(custom.notes).toContain('CC/CXX are set: host compiles use them as given, uncached');
    const windows = await wireCcache(
      { path: 'C:\\Tools\\ccache.exe', version: '4.10' },
      {
        dir: root,
        workRoot: work,
        nvcc: 'C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v12.8\\bin\\nvcc.exe',
        buildEnv: {},
        platform: 'win32',
      },
    );
    expect(windows.env.PYTORCH_NVCC).toBe(
      'C:\\Tools\\ccache.exe "C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v12.8\\bin\\nvcc.exe"',
    );
    expect(windows.binDir).toBeUndefined();
    const preset = await wireCcache(ccache, {
      dir: root,
      workRoot: work,
      nvcc: NVCC,
      buildEnv: { PYTORCH_NVCC: 'sccache nvcc' },
      platform: 'win32',
    });
    expect(preset.env.PYTORCH_NVCC).toBeUndefined();
  });
});

describe('finding ccache', () => {
  it('needs ccache 4 or newer on PATH', async () => {
    expect(await findCcache({ PATH: '/nonexistent' })).toBe('no ccache on PATH');
    const bin = await mkdtemp(path.join(tmpdir(), 'oldccache-'));
    await writeFile(path.join(bin, 'ccache'), '#!/bin/sh\necho "ccache version 3.7.12"\n');
    await chmod(path.join(bin, 'ccache'), 0o755);
    expect(await findCcache({ PATH: bin })).toBe(`${bin}/ccache is ccache 3.7.12; nvcc caching needs 4.0 or newer`);
  });

  it('puts the cache in CCACHE_DIR or the home folder for auto', () => {
    expect(cacheDir('auto', { CCACHE_DIR: '/srv/ccache' })).toBe('/srv/ccache');
    expect(cacheDir('auto', {})).toMatch(/\.cache\/sagewheels\/ccache$/);
    expect(cacheDir('rel/dir', {})).toBe(path.resolve('rel/dir'));
  });
});

describe('parseStatsLog', () => {
  it('counts each call once: hit, miss, or the reasons it was not cacheable', () => {
    const log = [
      '# a.cu',
      'direct_cache_hit',
      'local_storage_hit',
      '# r.cu',
      'direct_cache_hit',
      'local_storage_miss',
      'remote_storage_hit',
      '# s.cu',
      'cache_miss',
      'secondary_storage_timeout',
      '# b.cu',
      'cache_miss',
      'direct_cache_miss',
      '# ',
      'called_for_link',
      '# c.cu',
      'unsupported_compiler_option',
      '',
    ].join('\n');
    expect(parseStatsLog(log)).toEqual({
      hits: 2,
      remoteHits: 1,
      remoteErrors: 1,
      misses: 2,
      uncached: 2,
      reasons: { called_for_link: 1, unsupported_compiler_option: 1 },
    });
    expect(parseStatsLog('')).toEqual({ hits: 0, remoteHits: 0, remoteErrors: 0, misses: 0, uncached: 0, reasons: {} });
  });
});
