import { describe, expect, it } from 'vitest';
import { bytesDecidingFlags, hostCompilerVersion, withoutCredentials } from '../../src/builder/provenance';

describe('provenance', () => {
  it('keeps a token in a git URL out of the wheel', () => {
    expect(withoutCredentials('https://x-access-token:ghs_s3cret@github.com/o/r.git')).toBe(
      'https://github.com/o/r.git',
    );
    expect(withoutCredentials('git+https://user@example.com/r.git')).toBe('git+https://example.com/r.git');
    expect(withoutCredentials('https://github.com/o/r.git')).toBe('https://github.com/o/r.git');
  });

  it('takes the variables that reach compilers and linkers, and nothing of the machine', () => {
    const env = {
      TORCH_CUDA_ARCH_LIST: '8.0;9.0',
      NVCC_APPEND_FLAGS: '--split-compile=8',
      CFLAGS: '-O2',
      LDFLAGS: '',
      MAX_JOBS: '16',
      RUNNER_TEMP: '/home/a/_temp',
      HOME: '/home/a',
    };
    expect(bytesDecidingFlags(env)).toEqual({
      TORCH_CUDA_ARCH_LIST: '8.0;9.0',
      NVCC_APPEND_FLAGS: '--split-compile=8',
      CFLAGS: '-O2',
    });
  });

  it("names the host compiler: the first line of c++ --version (real gcc), or vcvars' MSVC", async () => {
    expect(await hostCompilerVersion(process.env, 'linux')).toMatch(/^(c\+\+|g\+\+) \(.+\) \d+\.\d+\.\d+$/);
    expect(await hostCompilerVersion({ VCToolsVersion: '14.44.35207' }, 'win32')).toBe('MSVC 14.44.35207');
    expect(await hostCompilerVersion({ ...process.env, CXX: '/nonexistent/g++' }, 'linux')).toBeUndefined();
  });
});
