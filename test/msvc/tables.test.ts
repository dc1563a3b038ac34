import { describe, expect, it } from 'vitest';
import { inRange, nvccMsvcRange, parseCudaVersion } from '../../src/msvc/nvcc';
import { mscVer, newestShippedToolset, parseToolsetInput, toolsetMatches } from '../../src/msvc/toolsets';

describe('MSVC toolsets', () => {
  it('gives the _MSC_VER of each toolset, full folder names included', () => {
    expect(mscVer('14.16.27023')).toBe(1916);
    expect(mscVer('14.29.30133')).toBe(1929);
    expect(mscVer('14.39.33519')).toBe(1939);
    expect(mscVer('14.44.35207')).toBe(1944);
    expect(mscVer('14.50.35717')).toBe(1950);
    // Newer than the table: cl 19.NN of toolset 14.NN defines 19NN.
    expect(mscVer('14.51.36014')).toBe(1951);
  });

  it('names the newest shipped toolset of a range with its installer component', () => {
    expect(newestShippedToolset(1910, 1939)).toEqual({
      toolset: '14.39',
      component: 'Microsoft.VisualStudio.Component.VC.14.39.17.9.x86.x64',
    });
    expect(newestShippedToolset(1920, 1949)).toEqual({
      toolset: '14.44',
      component: 'Microsoft.VisualStudio.Component.VC.14.44.17.14.x86.x64',
    });
    expect(newestShippedToolset(1920, 1959)).toEqual({
      toolset: '14.50',
      component: 'Microsoft.VisualStudio.Component.VC.14.50.18.0.x86.x64',
    });
    expect(newestShippedToolset(1960, 1969)).toBeUndefined();
  });

  it('reads the toolset input strictly and matches it to folders', () => {
    expect(parseToolsetInput('14.44')).toBe('14.44');
    expect(parseToolsetInput('14.44.35207')).toBe('14.44.35207');
    for (const bad of ['14.4', 'v143', '14.44 & calc', '14.44.35207"', '15.00']) {
      expect(() => parseToolsetInput(bad), bad).toThrow(
        /^toolset: ".*" is not an MSVC toolset version\. Allowed: 14\.NN or 14\.NN\.BBBBB/,
      );
    }
    expect(toolsetMatches('14.44.35207', '14.44')).toBe(true);
    expect(toolsetMatches('14.44.35207', '14.44.35207')).toBe(true);
    expect(toolsetMatches('14.44.35207', '14.4')).toBe(false);
    expect(toolsetMatches('14.44.35207', '14.44.35208')).toBe(false);
  });
});

describe('the MSVC that nvcc accepts', () => {
  it('follows crt/host_config.h release by release', () => {
    expect(nvccMsvcRange('11.8')).toEqual({ min: 1910, max: 1939 });
    expect(nvccMsvcRange('12.3.2')).toEqual({ min: 1910, max: 1939 });
    expect(nvccMsvcRange('12.4')).toEqual({ min: 1910, max: 1949 });
    expect(nvccMsvcRange('12.9.1')).toEqual({ min: 1910, max: 1949 });
    expect(nvccMsvcRange('13.0')).toEqual({ min: 1920, max: 1949 });
    expect(nvccMsvcRange('13.1')).toEqual({ min: 1920, max: 1949 });
    expect(nvccMsvcRange('13.2')).toEqual({ min: 1920, max: 1959 });
    expect(nvccMsvcRange('13.3')).toEqual({ min: 1920, max: 1959 });
  });

  it('puts VS 17.10+ out of reach of CUDA 12.3 and VS 2026 out of reach of CUDA 13.0', () => {
    expect(inRange(mscVer('14.39.33519'), nvccMsvcRange('12.3'))).toBe(true);
    expect(inRange(mscVer('14.40.33807'), nvccMsvcRange('12.3'))).toBe(false);
    expect(inRange(mscVer('14.50.35717'), nvccMsvcRange('13.0'))).toBe(false);
    expect(inRange(mscVer('14.16.27023'), nvccMsvcRange('13.0'))).toBe(false);
    expect(inRange(mscVer('14.16.27023'), nvccMsvcRange('12.8'))).toBe(true);
  });

  it('reads cuda-version strictly', () => {
    expect(parseCudaVersion('12.8.1')).toBe('12.8.1');
    expect(() => parseCudaVersion('cu128')).toThrow(
      /^cuda-version: "cu128" is not a CUDA version\. Allowed: major\.minor/,
    );
  });
});
