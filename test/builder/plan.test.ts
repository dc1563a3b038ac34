import { describe, expect, it } from 'vitest';
import { resolveArchs } from '../../src/builder/archs';
import { buildEnvironment } from '../../src/builder/environment';
import { planJobs, REPRODUCIBLE_SPLIT_COMPILE } from '../../src/builder/jobs';
import { PROFILES } from '../../src/packages/profiles';

describe('planJobs', () => {
  it('takes the cores, unless memory holds fewer jobs at 4 GiB each', () => {
    expect(planJobs('auto', { cores: 16, memoryGiB: 125 }, '13.0.88')).toMatchObject({ jobs: 16, splitCompile: 16 });
    expect(planJobs('auto', { cores: 16, memoryGiB: 20 }, '13.0.88')).toMatchObject({ jobs: 5, splitCompile: 5 });
    expect(planJobs('auto', { cores: 8, memoryGiB: 1 }, '13.0.88')).toMatchObject({ jobs: 1, splitCompile: 1 });
    expect(planJobs('auto', { cores: 16, memoryGiB: 125 }, '13.0.88').reason).toBe(
      '16 cores, 125 GiB free at 4 GiB per job',
    );
  });

  it('gives a reproducible build one --split-compile count on every machine (ptxas writes it into the cubins)', () => {
    const machines = [
      { cores: 2, memoryGiB: 8 },
      { cores: 16, memoryGiB: 125 },
      { cores: 64, memoryGiB: 500 },
    ];
    const counts = machines.map((machine) => planJobs('auto', machine, '13.0.88', true).splitCompile);
    expect(counts).toEqual([REPRODUCIBLE_SPLIT_COMPILE, REPRODUCIBLE_SPLIT_COMPILE, REPRODUCIBLE_SPLIT_COMPILE]);
    expect(planJobs('1', { cores: 2, memoryGiB: 8 }, '13.0.88', true)).toMatchObject({ jobs: 1, splitCompile: 8 });
    expect(planJobs('auto', { cores: 16, memoryGiB: 125 }, '12.0.1', true).splitCompile).toBe(1);
  });

  it('takes a number as given, and leaves --split-compile out before CUDA 12.1', () => {
    expect(planJobs('3', { cores: 16, memoryGiB: 125 }, '12.8.1')).toMatchObject({
      jobs: 3,
      splitCompile: 3,
      reason: 'given',
    });
    expect(planJobs('64', { cores: 16, memoryGiB: 125 }, '12.8.1').splitCompile).toBe(16);
    expect(planJobs('auto', { cores: 16, memoryGiB: 125 }, '12.0.1').splitCompile).toBe(1);
    for (const bad of ['0', '-2', 'many', '2.5']) {
      expect(() => planJobs(bad, { cores: 2, memoryGiB: 8 }, '13.0')).toThrow(
        `jobs: "${bad}" is not allowed. Allowed: auto, or a whole number >= 1`,
      );
    }
  });
});

describe('buildEnvironment', () => {
  const plan = { jobs: 16, splitCompile: 16, reason: '' };
  const base = { PATH: '/usr/bin', TORCH_CUDA_ARCH_LIST: '9.0a', NVCC_APPEND_FLAGS: '-lineinfo', HOME: '/home/r' };

  it("always sets the arch list, CUDA_HOME and the job counts, and appends nvcc flags to the runner's", () => {
    const env = buildEnvironment({
      base,
      platform: 'linux',
      cudaHome: '/opt/cuda',
      binDirs: ['/w/venv/bin', '/opt/torch/.venv/bin'],
      archList: '9.0;12.0',
      plan,
    });
    expect(env).toMatchObject({
      TORCH_CUDA_ARCH_LIST: '9.0;12.0',
      CUDA_HOME: '/opt/cuda',
      CUDA_PATH: '/opt/cuda',
      PATH: '/w/venv/bin:/opt/torch/.venv/bin:/opt/cuda/bin:/usr/bin',
      MAX_JOBS: '16',
      EXT_PARALLEL: '16',
      NVCC_APPEND_FLAGS: '-lineinfo --split-compile=16',
      HOME: '/home/r',
    });
    expect(env.DISTUTILS_USE_SDK).toBeUndefined();
    expect(
      buildEnvironment({
        base: { PATH: '/usr/bin' },
        platform: 'linux',
        cudaHome: '/c',
        binDirs: ['/v'],
        archList: '8.0',
        plan: { ...plan, splitCompile: 1 },
      }).NVCC_APPEND_FLAGS,
    ).toBeUndefined();
  });

  it("puts the venv's nvidia header folders on CPATH, after the runner's, on Linux only", () => {
    const includeDirs = ['/v/site-packages/nvidia/cu13/include'];
    const linux = buildEnvironment({
      base: { ...base, CPATH: '/opt/x' },
      platform: 'linux',
      cudaHome: '/c',
      binDirs: [],
      archList: '9.0',
      plan,
      includeDirs,
    });
    expect(linux.CPATH).toBe('/opt/x:/v/site-packages/nvidia/cu13/include');
    expect(
      buildEnvironment({ base, platform: 'linux', cudaHome: '/c', binDirs: [], archList: '9.0', plan }).CPATH,
    ).toBeUndefined();
    expect(
      buildEnvironment({
        base: {},
        platform: 'win32',
        cudaHome: 'C:\\c',
        binDirs: [],
        archList: '9.0',
        plan,
        includeDirs,
      }).CPATH,
    ).toBeUndefined();
  });

  it('on Windows: DISTUTILS_USE_SDK, lib\\x64, and USE_CUDA for nvcc with torch 2.7 and newer', () => {
    const winBase = { Path: 'C:\\Windows', LIB: 'C:\\VS\\lib' };
    const common = {
      base: winBase,
      platform: 'win32' as const,
      cudaHome: 'C:\\CUDA\\v12.8',
      binDirs: ['C:\\w\\venv\\Scripts'],
      archList: '8.9;12.0',
      plan,
    };
    const env = buildEnvironment({ ...common, torchVersion: '2.7.1' });
    expect(env).toMatchObject({
      DISTUTILS_USE_SDK: '1',
      PATH: 'C:\\w\\venv\\Scripts;C:\\CUDA\\v12.8\\bin;C:\\Windows',
      LIB: 'C:\\CUDA\\v12.8\\lib\\x64;C:\\VS\\lib',
      NVCC_APPEND_FLAGS: '--split-compile=16 -DUSE_CUDA',
    });
    expect(env.Path).toBeUndefined();
    expect(buildEnvironment({ ...common, torchVersion: '2.6.0' }).NVCC_APPEND_FLAGS).toBe('--split-compile=16');
    expect(buildEnvironment({ ...common }).NVCC_APPEND_FLAGS).toBe('--split-compile=16');
  });
  it('reproducible: SOURCE_DATE_EPOCH and the work root mapped out, appended to what the runner set', () => {
    const linux = buildEnvironment({
      base: { ...base, CFLAGS: '-O2', LDFLAGS: '-L/opt/lib' },
      platform: 'linux',
      cudaHome: '/opt/cuda',
      binDirs: [],
      archList: '9.0',
      plan,
      reproducible: { epoch: 1700000000, workRoot: '/tmp/sagewheels-build-Ab12' },
    });
    expect(linux).toMatchObject({
      SOURCE_DATE_EPOCH: '1700000000',
      CFLAGS: '-O2 -ffile-prefix-map=/tmp/sagewheels-build-Ab12=/sagewheels',
      CXXFLAGS: '-ffile-prefix-map=/tmp/sagewheels-build-Ab12=/sagewheels',
      LDFLAGS: '-L/opt/lib -Wl,--discard-all',
      NVCC_APPEND_FLAGS:
        '-lineinfo --split-compile=16 -Xcompiler=-ffile-prefix-map=/tmp/sagewheels-build-Ab12=/sagewheels',
    });
    // nvcc splits its flags on spaces and commas: such a folder is not mapped (the rest still holds).
    const spaced = buildEnvironment({
      base,
      platform: 'linux',
      cudaHome: '/opt/cuda',
      binDirs: [],
      archList: '9.0',
      plan,
      reproducible: { epoch: 1, workRoot: '/tmp/my builds/x' },
    });
    expect(spaced.CFLAGS).toBeUndefined();
    expect(spaced.LDFLAGS).toBe('-Wl,--discard-all');
    const windows = buildEnvironment({
      base: { Path: 'C:\\Windows', CL: '/MP' },
      platform: 'win32',
      cudaHome: 'C:\\CUDA\\v12.8',
      binDirs: [],
      archList: '8.9',
      plan,
      reproducible: { epoch: 1700000000, workRoot: 'C:\\t\\sagewheels-build-Ab12' },
    });
    expect(windows).toMatchObject({
      SOURCE_DATE_EPOCH: '1700000000',
      CL: '/MP /Brepro /experimental:deterministic /pathmap:C:\\t\\sagewheels-build-Ab12=\\sagewheels',
      LINK: '/Brepro',
      NVCC_APPEND_FLAGS: '--split-compile=16',
    });
    expect(windows.LDFLAGS).toBeUndefined();
  });
});

describe('resolveArchs', () => {
  const names = (list: string, cuda: string, pkg: 'sageattention' | 'generic') =>
    resolveArchs(list, cuda, PROFILES[pkg]).map((a) => `${a.major}.${a.minor}${a.variant}`);

  it("auto: the archs SageAttention has kernels for at that CUDA, else PyTorch's list", () => {
    expect(names('auto', '12.8', 'sageattention')).toEqual(['8.0', '8.6', '8.9', '9.0', '10.0', '12.0']);
    expect(names('auto', '12.6', 'sageattention')).toEqual(['8.0', '8.6', '8.9', '9.0']);
    expect(names('auto', '13.0', 'generic')).toEqual(['7.5', '8.0', '8.6', '9.0', '10.0', '12.0']);
  });

  it('normalizes any separator and refuses what the CUDA or the package cannot build, naming arch-list', () => {
    expect(names('9.0 12.0', '13.0', 'generic')).toEqual(['9.0', '12.0']);
    expect(() => resolveArchs('7.5;8.0', '12.8', PROFILES.sageattention)).toThrow(
      'arch-list: sageattention has no kernels for 7.5 (CUDA 12.8). sageattention with CUDA 12.8 builds 8.0;8.6;8.9;9.0;10.0;12.0',
    );
    expect(() => resolveArchs('12.0', '12.6', PROFILES.generic)).toThrow(
      'arch-list: 12.0 needs CUDA >= 12.8 (CUDA 12.6). generic with CUDA 12.6 builds 5.0;6.0;7.0;7.5;8.0;8.6;9.0',
    );
    expect(() => resolveArchs('8.9', '12.3', PROFILES.sageattention)).toThrow(
      'arch-list: sageattention needs CUDA >= 12.4 for 8.9 (CUDA 12.3).',
    );
    expect(() => resolveArchs('auto', '12.2', PROFILES.generic)).toThrow(
      'arch-list: "auto" knows no archs for generic with CUDA 12.2. Give the archs',
    );
    expect(() => resolveArchs('sm_99', '13.0', PROFILES.generic)).toThrow(
      /^arch-list: "sm_99" is not a GPU architecture/,
    );
  });
});
