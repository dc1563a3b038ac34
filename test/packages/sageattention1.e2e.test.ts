import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWheel } from '../../src/builder/build';
import { PROFILES } from '../../src/packages/profiles';
import { readWheel } from '../../src/verify/wheel';
import { recordingContext } from '../helpers/context';
import { offlinePipEnv } from '../helpers/offline-pip';

/*
 * SageAttention 1.x is Triton kernels in a plain package (thu-ml branch sageattention-1): its
 * wheel is py3-none-any, and building it needs no CUDA toolkit and no torch. Here the build runs
 * with no nvcc anywhere on PATH and no CUDA_HOME, as a CPU runner would.
 */
let root: string;
let source: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'sageattention1-'));
  source = path.join(root, 'SageAttention');
  await mkdir(path.join(source, 'sageattention'), { recursive: true });
  await writeFile(
    path.join(source, 'setup.py'),
    "from setuptools import setup, find_packages\n\nsetup(\n    name='sageattention',\n    version='1.0.6',\n    packages=find_packages(),\n)\n",
  );
  await writeFile(path.join(source, 'sageattention', '__init__.py'), 'from .core import sageattn\n');
  await writeFile(path.join(source, 'sageattention', 'core.py'), 'def sageattn(q, k, v, **kwargs):\n    return q\n');
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('SageAttention 1.x', () => {
  it('builds a py3-none-any wheel without nvcc, torch or an arch list, unlabelled', async () => {
    const ctx = recordingContext();
    const env: NodeJS.ProcessEnv = { ...process.env, ...offlinePipEnv(), RUNNER_TEMP: root, PATH: '/usr/bin:/bin' };
    delete env.CUDA_HOME;
    delete env.CUDA_PATH;
    const result = await buildWheel(
      {
        profile: PROFILES.sageattention1,
        source,
        python: '3.12',
        torch: 'install',
        archList: 'auto',
        versionSuffix: 'auto',
        jobs: 'auto',
        compileCache: 'auto',
        outputDir: path.join(root, 'out'),
        env,
      },
      ctx.log,
    );
    expect(result.wheels.map((w) => path.basename(w))).toEqual(['sageattention-1.0.6-py3-none-any.whl']);
    expect(result.package).toBe('sageattention1');
    expect(result.archList).toBe('');
    expect(ctx.text()).toContain('sageattention1 builds a pure-Python wheel: no CUDA toolkit, no torch, no archs');
    expect(ctx.text()).toContain('venv, torch: none');
    const wheel = await readWheel(result.wheels[0]!);
    expect(wheel.problems).toEqual([]);
    expect(wheel.entries.some((f) => /\.(so|pyd)$/.test(f.name))).toBe(false);
  }, 300_000);
});
