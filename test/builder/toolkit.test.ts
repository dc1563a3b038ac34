import { chmod, mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { findToolkit, nvccCandidates } from '../../src/builder/toolkit';

/** A toolkit folder whose nvcc reports `version` the way nvcc does. */
async function fakeToolkit(root: string, name: string, version: string): Promise<string> {
  const home = path.join(root, name);
  await mkdir(path.join(home, 'bin'), { recursive: true });
  await mkdir(path.join(home, 'include'), { recursive: true });
  await writeFile(path.join(home, 'include', 'cuda_runtime.h'), '');
  const nvcc = path.join(home, 'bin', 'nvcc');
  await writeFile(
    nvcc,
    `#!/bin/sh\necho "Cuda compilation tools, release ${version.split('.').slice(0, 2).join('.')}, V${version}"\n`,
  );
  await chmod(nvcc, 0o755);
  return home;
}

it('looks where a wanted version lives first, then CUDA_HOME, CUDA_PATH, nvcc on PATH', () => {
  const env = { CUDA_PATH_V12_8: 'C:\\CUDA\\v12.8', CUDA_PATH: 'C:\\CUDA\\v13.0', PATH: 'C:\\tools' };
  expect(nvccCandidates('12.8.1', env, 'win32')).toEqual([
    'C:\\CUDA\\v12.8\\bin\\nvcc.exe',
    'C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v12.8\\bin\\nvcc.exe',
    'C:\\tools\\nvcc.exe',
    'C:\\CUDA\\v13.0\\bin\\nvcc.exe',
  ]);
  // Then /usr/local/cuda and whatever /usr/local/cuda-<x.y> this machine has.
  expect(nvccCandidates(undefined, { CUDA_HOME: '/opt/cuda', PATH: '/usr/bin' }, 'linux').slice(0, 3)).toEqual([
    '/opt/cuda/bin/nvcc',
    '/usr/bin/nvcc',
    '/usr/local/cuda/bin/nvcc',
  ]);
  expect(nvccCandidates('12.8', { PATH: '' }, 'linux').slice(0, 2)).toEqual([
    '/usr/local/cuda-12.8/bin/nvcc',
    '/usr/local/cuda/bin/nvcc',
  ]);
});

it('finds the toolkit of the wanted version, follows a linked nvcc, and says what it found instead', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'toolkit-'));
  const old = await fakeToolkit(root, 'cuda-12.6', '12.6.3');
  const wanted = await fakeToolkit(root, 'cuda-12.8', '12.8.93');
  const bin = path.join(root, 'bin');
  await mkdir(bin);
  await symlink(path.join(wanted, 'bin', 'nvcc'), path.join(bin, 'nvcc'));
  expect(await findToolkit('12.8', { CUDA_HOME: old, PATH: bin }, 'linux')).toEqual({
    home: wanted,
    nvcc: path.join(wanted, 'bin', 'nvcc'),
    version: '12.8.93',
  });
  expect((await findToolkit(undefined, { CUDA_HOME: old, PATH: bin }, 'linux')).version).toBe('12.6.3');
  await expect(findToolkit('12.9', { CUDA_HOME: old, PATH: '' }, 'linux')).rejects.toThrow(
    new RegExp(
      `^cuda-version: no CUDA 12\\.9 toolkit on this runner: found only 12\\.6\\.3 in ${old}, 13\\.0\\.\\d+ in /usr/local/cuda(-13\\.0)?\\. Run setup-cuda before build$`,
    ),
  );
});
