import { describe, expect, it } from 'vitest';
import { parseWheelName } from '../../src/wheel/name';
import { isMatrixPlatform, platformTagFits, pythonTag, retagWheelFile, wheelFits } from '../../src/wheel/tags';

describe('wheel tags of matrix platforms', () => {
  it('maps Python versions to CPython tags', () => {
    expect(pythonTag('3.12')).toBe('cp312');
    expect(pythonTag('3.9')).toBe('cp39');
    expect(pythonTag('3.14.1')).toBe('cp314');
  });

  it('maps linux-x86_64 to linux_x86_64 and every manylinux x86_64 tag, windows-x86_64 to win_amd64', () => {
    for (const tag of [
      'linux_x86_64',
      'manylinux1_x86_64',
      'manylinux2010_x86_64',
      'manylinux2014_x86_64',
      'manylinux_2_28_x86_64',
    ]) {
      expect(platformTagFits(tag, 'linux-x86_64'), tag).toBe(true);
      expect(platformTagFits(tag, 'windows-x86_64'), tag).toBe(false);
    }
    for (const tag of [
      'musllinux_1_2_x86_64',
      'manylinux_2_28_aarch64',
      'linux_aarch64',
      'win32',
      'win_arm64',
      'any',
    ]) {
      expect(platformTagFits(tag, 'linux-x86_64'), tag).toBe(false);
    }
    expect(platformTagFits('win_amd64', 'windows-x86_64')).toBe(true);
    expect(platformTagFits('win32', 'windows-x86_64')).toBe(false);
    expect(isMatrixPlatform('windows-x86_64')).toBe(true);
    expect(isMatrixPlatform('macos-arm64')).toBe(false);
  });

  it('decides whether pip installs a wheel on a CPython and platform, compressed tag sets and abi3 included', () => {
    const fits = (name: string, python: string, platform: 'linux-x86_64' | 'windows-x86_64' = 'linux-x86_64') =>
      wheelFits(parseWheelName(name), python, platform);
    expect(fits('sageattention-2.2.0+cu128torch2.7.1-cp312-cp312-linux_x86_64.whl', '3.12')).toBe(true);
    expect(fits('sageattention-2.2.0+cu128torch2.7.1-cp312-cp312-linux_x86_64.whl', '3.13')).toBe(false);
    expect(fits('sageattention-2.2.0+cu128torch2.7.1-cp312-cp312-linux_x86_64.whl', '3.12', 'windows-x86_64')).toBe(
      false,
    );
    expect(fits('x-1-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl', '3.12')).toBe(true);
    expect(fits('x-1-cp312-cp312-win_amd64.whl', '3.12', 'windows-x86_64')).toBe(true);
    expect(fits('x-1-cp311.cp312-cp311.cp312-linux_x86_64.whl', '3.12')).toBe(true);
    // abi3 from 3.9 on serves 3.9 and newer, not older.
    expect(fits('x-1-cp39-abi3-linux_x86_64.whl', '3.13')).toBe(true);
    expect(fits('x-1-cp310-abi3-linux_x86_64.whl', '3.9')).toBe(false);
    expect(fits('x-1-cp39-cp39-linux_x86_64.whl', '3.10')).toBe(false);
    // A free-threaded CPython loads no abi3 module; its own cp314t wheel fits it.
    expect(fits('x-1-cp310-abi3-linux_x86_64.whl', '3.14t')).toBe(false);
    expect(fits('x-1-cp314-cp314t-linux_x86_64.whl', '3.14t')).toBe(true);
    expect(fits('x-1-cp314-cp314t-linux_x86_64.whl', '3.14')).toBe(false);
  });
});

describe('retagWheelFile', () => {
  it('replaces the platform of every Tag line, one line per python-abi pair and platform, keeping the rest', () => {
    const wheel =
      'Wheel-Version: 1.0\r\nGenerator: x\r\nTag: cp311-abi3-linux_x86_64\r\nTag: cp312-abi3-linux_x86_64\r\nBuild: 1\r\n';
    expect(retagWheelFile(wheel, 'manylinux_2_17_x86_64.manylinux2014_x86_64')).toBe(
      [
        'Wheel-Version: 1.0',
        'Generator: x',
        'Tag: cp311-abi3-manylinux_2_17_x86_64',
        'Tag: cp311-abi3-manylinux2014_x86_64',
        'Tag: cp312-abi3-manylinux_2_17_x86_64',
        'Tag: cp312-abi3-manylinux2014_x86_64',
        'Build: 1',
        '',
      ].join('\r\n'),
    );
  });
});
