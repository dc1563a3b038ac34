import { describe, expect, it } from 'vitest';
import { TorchReleases } from '../../src/torch/releases';
import { selectTorchVersions } from '../../src/torch/select';
import { parseTorchWheel, type TorchWheel } from '../../src/torch/wheels';
import { FACT_RELEASES, REAL_NAMES } from '../fakes/pytorch-index';

describe('torch wheel names', () => {
  it('reads version, CUDA, Python (free-threaded too) and platform from real names', () => {
    expect(parseTorchWheel('torch-2.7.1+cu128-cp312-cp312-manylinux_2_28_x86_64.whl')).toEqual({
      version: '2.7.1',
      cuda: '12.8',
      python: '3.12',
      platform: 'linux-x86_64',
    });
    expect(parseTorchWheel('torch-2.9.1+cu130-cp314-cp314t-manylinux_2_28_aarch64.whl')).toEqual({
      version: '2.9.1',
      cuda: '13.0',
      python: '3.14t',
      platform: 'linux-aarch64',
    });
    expect(parseTorchWheel('torch-2.5.1+cu121-cp39-cp39-win_amd64.whl')).toMatchObject({
      cuda: '12.1',
      python: '3.9',
      platform: 'windows-x86_64',
    });
    expect(parseTorchWheel('torch-2.5.1+cu124-cp312-cp312-linux_x86_64.whl')?.platform).toBe('linux-x86_64');
    expect(parseTorchWheel('torch-1.13.1+cu117-cp310-cp310-linux_x86_64.whl')?.cuda).toBe('11.7');
  });

  it('skips what is not a CUDA wheel of torch: CPU, ROCm, XPU, macOS, untagged aarch64', () => {
    const skipped = REAL_NAMES.filter((name) => parseTorchWheel(name) === undefined);
    expect(skipped).toEqual([
      'torch-2.1.1-cp310-cp310-manylinux_2_17_aarch64.manylinux2014_aarch64.whl',
      'torch-2.6.0+xpu-cp312-cp312-win_amd64.whl',
      'torch-2.7.1+cpu-cp312-cp312-manylinux_2_28_x86_64.whl',
      'torch-2.7.1+rocm6.3-cp312-cp312-manylinux_2_28_x86_64.whl',
      'torch-2.7.1-cp312-none-macosx_11_0_arm64.whl',
    ]);
    expect(parseTorchWheel('torchvision-0.22.1+cu128-cp312-cp312-manylinux_2_28_x86_64.whl')).toBeUndefined();
    expect(parseTorchWheel('torch-2.10.0.dev20251010+cu130-cp312-cp312-manylinux_2_28_x86_64.whl')).toBeUndefined();
  });
});

describe('releases', () => {
  const releases = TorchReleases.fromWheels(
    REAL_NAMES.map(parseTorchWheel).filter((w): w is TorchWheel => w !== undefined),
  );

  it('answers what was published per version, CUDA and platform', () => {
    expect(releases.versions).toEqual([
      '1.13.1',
      '2.5.1',
      '2.6.0',
      '2.7.1',
      '2.8.0',
      '2.9.0',
      '2.9.1',
      '2.11.0',
      '2.14.0',
    ]);
    expect(releases.cudas('2.7.1')).toEqual(['11.8', '12.6', '12.8']);
    expect(releases.platforms('2.7.1', '12.8').sort()).toEqual(['linux-aarch64', 'linux-x86_64', 'windows-x86_64']);
    expect(releases.pythons('2.7.1', '12.8', 'linux-x86_64')).toEqual(['3.12', '3.13t']);
    expect(releases.has('2.14.0', '13.2', '3.15t', 'linux-aarch64')).toBe(true);
    expect(releases.has('2.14.0', '13.2', '3.15', 'linux-aarch64')).toBe(false);
  });

  it('finds an exact version, a minor as its newest patch, and nothing else', () => {
    expect(releases.find('2.9')).toBe('2.9.1');
    expect(releases.find('2.9.0')).toBe('2.9.0');
    expect(releases.find('2.9.2')).toBeUndefined();
    expect(releases.find('2.10')).toBeUndefined();
    expect(releases.nearest('2.9.2')).toEqual(['2.9.0', '2.9.1', '2.11.0']);
    expect(releases.nearest('3.0')).toEqual(['2.11.0', '2.14.0']);
  });
});

describe('torch-versions selectors', () => {
  const releases = FACT_RELEASES;
  const select = (text: string) => selectTorchVersions(text, releases);

  it('latest, latest-N, ranges, minors and exact versions', () => {
    expect(select('latest')).toEqual(['2.15.0']);
    expect(select('latest-3')).toEqual(['2.13.0', '2.14.0', '2.15.0']);
    expect(select('2.9-2.15')).toEqual(['2.9.1', '2.10.0', '2.11.0', '2.12.0', '2.13.0', '2.14.0', '2.15.0']);
    expect(select('2.9 - 2.10, 2.7.0')).toEqual(['2.9.1', '2.10.0', '2.7.0']);
    expect(select('2.7, 2.7.1 latest-1')).toEqual(['2.7.1', '2.15.0']);
    expect(select(`latest-${releases.minors.length}`)).toHaveLength(releases.minors.length);
  });

  it('refuses latest-N and ranges past what PyTorch published, naming what it did', () => {
    const known = `Known: ${releases.minors.join(', ')}`;
    expect(() => select('latest-99')).toThrow(
      `torch-versions: "latest-99" asks for 99 minors, and PyTorch has published ${releases.minors.length}. ${known}`,
    );
    expect(() => select('2.9-2.99')).toThrow(
      `torch-versions: the range "2.9-2.99" reaches 2.99, outside what PyTorch has published. ${known}`,
    );
    expect(() => select('1.0-2.9')).toThrow(/reaches 1\.0, outside/);
  });

  it('refuses a patch that was never published, naming the nearest ones', () => {
    expect(() => select('2.7.9')).toThrow(
      'torch-versions: torch 2.7.9 was never published. Nearest published: 2.7.0, 2.7.1, 2.8.0',
    );
  });
});
