import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Inputs } from '../../src/core/step';
import { toolkitEnv } from '../../src/cuda/env';
import { candidates, findExisting, probe } from '../../src/cuda/existing';
import { setupCuda } from '../../src/cuda/setup';
import { step } from '../../src/steps/setup-cuda';
import { recordingContext } from '../helpers/context';

// This machine's CUDA 13.0: /usr/local/cuda-13.0 (pip-installed, no version.json), /usr/local/cuda
// linking to it, and /usr/local/bin/nvcc, a script that execs its nvcc.
const CUDA = '/usr/local/cuda-13.0';
const env = { PATH: '/usr/local/bin:/usr/bin:/bin' };
let temp: string;

beforeAll(async () => {
  temp = await mkdtemp(path.join(os.tmpdir(), 'sagewheels-existing-'));
});
afterAll(async () => {
  await rm(temp, { recursive: true, force: true });
});

describe('candidates', () => {
  it('on Windows: CUDA_PATH_Vx_y, the installer folder under Program Files, then PATH', () => {
    const found = candidates('12.8', 'windows-x86_64', {
      CUDA_PATH_V12_8: 'D:\\CUDA\\v12.8',
      ProgramFiles: 'C:\\Program Files',
      Path: 'C:\\Windows\\system32;C:\\tools\\cuda\\bin;',
    });
    expect(found).toEqual([
      { from: 'CUDA_PATH_V12_8', nvcc: 'D:\\CUDA\\v12.8\\bin\\nvcc.exe' },
      {
        from: 'the default install folder',
        nvcc: 'C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v12.8\\bin\\nvcc.exe',
      },
      { from: 'PATH', nvcc: 'C:\\Windows\\system32\\nvcc.exe' },
      { from: 'PATH', nvcc: 'C:\\tools\\cuda\\bin\\nvcc.exe' },
    ]);
  });

  it('on Linux: CUDA_PATH_Vx_y, /usr/local/cuda-x.y, then PATH', () => {
    expect(
      candidates('13.0', 'linux-x86_64', { CUDA_PATH_V13_0: '/opt/cuda', PATH: '/usr/local/bin:/usr/bin' }).map(
        (c) => c.nvcc,
      ),
    ).toEqual(['/opt/cuda/bin/nvcc', '/usr/local/cuda-13.0/bin/nvcc', '/usr/local/bin/nvcc', '/usr/bin/nvcc']);
  });
});

describe('the toolkit already on this machine', () => {
  it('is found through a wrapper script on PATH at its real root', async () => {
    expect(await probe('/usr/local/bin/nvcc', 'linux-x86_64')).toEqual({
      root: CUDA,
      nvcc: `${CUDA}/bin/nvcc`,
      majorMinor: '13.0',
      nvccVersion: '13.0.88',
      release: undefined,
    });
    expect(await probe(path.join(temp, 'no-nvcc-here'), 'linux-x86_64')).toBeUndefined();
  });

  it('matches 13.0 but not 12.8, nor an exact 13.0.2 its missing version.json cannot confirm', async () => {
    expect((await findExisting('13.0', undefined, 'linux-x86_64', env)).toolkit?.root).toBe(CUDA);
    for (const [mm, exact, from] of [
      ['12.8', undefined, 'PATH'],
      ['13.0', '13.0.2', CUDA],
    ] as const) {
      const search = await findExisting(mm, exact, 'linux-x86_64', env);
      expect(search.toolkit).toBeUndefined();
      expect(search.seen).toEqual([`13.0 (nvcc 13.0.88) at ${CUDA} (from ${from})`]);
    }
  });

  it('is what method existing (and auto) give, with its environment, without touching the network', async () => {
    const ctx = recordingContext();
    const outputs = await step.run(
      new Inputs(step.spec, { 'cuda-version': '13.0', method: 'existing', 'mirror-url': 'http://127.0.0.1:9/' }),
      ctx,
    );
    expect(outputs).toEqual({
      'cuda-version': '13.0.88',
      'cuda-path': CUDA,
      'nvcc-path': `${CUDA}/bin/nvcc`,
      source: 'existing',
      'cache-hit': 'false',
    });
    expect(ctx.exported).toMatchObject({ CUDA_PATH: CUDA, CUDA_HOME: CUDA, CUDA_PATH_V13_0: CUDA });
    expect(ctx.exported.LD_LIBRARY_PATH!.split(':')[0]).toBe(`${CUDA}/lib64`);
    expect(existsSync(`${CUDA}/lib64/libcudart.so`)).toBe(true);
    expect(ctx.paths).toEqual([`${CUDA}/bin`]);

    const auto = await setupCuda(
      {
        cudaVersion: '13.0',
        method: 'auto',
        components: ['torch-extension'],
        mirrorUrl: 'http://127.0.0.1:9/',
        tempDir: temp,
        platform: 'linux-x86_64',
        env,
      },
      { log: recordingContext().log },
    );
    expect(auto).toMatchObject({ root: CUDA, source: 'existing', method: 'existing', downloadedBytes: 0 });
  });

  it('fails method existing clearly when the runner lacks that version, saying what it found', async () => {
    await expect(
      setupCuda(
        {
          cudaVersion: '12.8',
          method: 'existing',
          components: ['torch-extension'],
          mirrorUrl: 'http://127.0.0.1:9/',
          tempDir: temp,
          platform: 'linux-x86_64',
          env,
        },
        { log: recordingContext().log },
      ),
    ).rejects.toThrow(
      `method: existing: no CUDA 12.8 toolkit is on this runner (looked at CUDA_PATH_V12_8, the default install folder and PATH). Found instead: 13.0 (nvcc 13.0.88) at ${CUDA} (from PATH). Use method auto or redist to install it`,
    );
  });
});

describe('toolkitEnv', () => {
  it('exports the root three ways, bin for PATH, and lib64 first on LD_LIBRARY_PATH (Linux only)', () => {
    expect(toolkitEnv('/t/cuda', '12.8', 'linux-x86_64', { LD_LIBRARY_PATH: '/a:/t/cuda/lib64:/b' })).toEqual({
      vars: {
        CUDA_PATH: '/t/cuda',
        CUDA_HOME: '/t/cuda',
        CUDA_PATH_V12_8: '/t/cuda',
        LD_LIBRARY_PATH: '/t/cuda/lib64:/a:/b',
      },
      paths: ['/t/cuda/bin'],
    });
    expect(toolkitEnv('C:\\cuda', '12.8', 'windows-x86_64', {}, path.win32)).toEqual({
      vars: { CUDA_PATH: 'C:\\cuda', CUDA_HOME: 'C:\\cuda', CUDA_PATH_V12_8: 'C:\\cuda' },
      paths: ['C:\\cuda\\bin'],
    });
    // From CUDA 13 the DLLs sit in bin\x64, beside the tools in bin.
    expect(toolkitEnv('C:\\cuda', '13.0', 'windows-x86_64', {}, path.win32).paths).toEqual([
      'C:\\cuda\\bin',
      'C:\\cuda\\bin\\x64',
    ]);
  });
});
