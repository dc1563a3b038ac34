import { describe, expect, it } from 'vitest';
import { parseArchList, type GpuCode } from '../../src/arch/arch';
import { PROFILES } from '../../src/packages/profiles';
import { coverage, servedBy } from '../../src/verify/coverage';

const sass = (major: number, minor: number, variant: GpuCode['variant'] = ''): GpuCode => ({
  kind: 'sass',
  major,
  minor,
  variant,
});
const ptx = (major: number, minor: number, variant: GpuCode['variant'] = ''): GpuCode => ({
  kind: 'ptx',
  major,
  minor,
  variant,
});
const gpu = (text: string) => parseArchList(text)[0]!;

describe('servedBy', () => {
  it('applies the SASS, PTX and `a` rules', () => {
    expect(servedBy([sass(8, 0)], gpu('8.6'))).toBe('sass'); // same major, newer minor
    expect(servedBy([sass(8, 6)], gpu('8.0'))).toBe('missing'); // never older
    expect(servedBy([sass(9, 0)], gpu('12.0'))).toBe('missing'); // never another major
    expect(servedBy([sass(12, 0, 'a')], gpu('12.1'))).toBe('missing'); // `a`: that GPU only
    expect(servedBy([sass(12, 0, 'a')], gpu('12.0'))).toBe('sass');
    expect(servedBy([ptx(8, 0)], gpu('12.0'))).toBe('ptx'); // PTX: JIT on anything newer
    expect(servedBy([ptx(9, 0, 'a')], gpu('12.0'))).toBe('missing');
    expect(servedBy([sass(12, 0), ptx(12, 0)], gpu('12.0'))).toBe('sass+ptx');
  });
});

describe('coverage', () => {
  it('generic: every module with GPU code must serve every requested arch; modules without it are not asked', () => {
    const result = coverage(PROFILES.generic, parseArchList('8.0;9.0;12.0'), [
      { module: 'pkg._a', code: [sass(8, 0), sass(9, 0, 'a'), ptx(9, 0)] },
      { module: 'pkg._b', code: [sass(8, 0), sass(12, 0, 'a')] },
      { module: 'pkg._host', code: [] },
    ]);
    expect(result.gaps).toEqual(['pkg._b has no GPU code for 9.0 (it carries sm_80, sm_120a)']);
    expect(result.table[0]!.archs).toEqual({
      '8.0': { served: 'sass', required: true },
      '9.0': { served: 'sass+ptx', required: true },
      '12.0': { served: 'ptx', required: true },
    });
    expect(result.table[2]!.archs['8.0']).toEqual({ served: 'missing', required: false });
    // 8.x by pkg._b's sm_80 and pkg._a's sm_80; 12.0 by PTX in pkg._a and SASS in pkg._b.
    expect(result.gpus).toEqual({ '8.0': 'sass', '8.6': 'sass', '8.7': 'sass', '8.9': 'sass', '12.0': 'ptx' });
  });

  it('asks for PTX where the arch list says +PTX', () => {
    const result = coverage(PROFILES.generic, parseArchList('9.0;12.0+PTX'), [
      { module: 'pkg._a', code: [sass(9, 0, 'a'), sass(12, 0, 'a')] },
    ]);
    expect(result.gaps).toEqual(['pkg._a has no PTX for 12.0+PTX (it carries sm_90a, sm_120a)']);
    expect(result.table[0]!.archs['12.0+PTX']).toEqual({ served: 'sass', required: true });
    const withPtx = coverage(PROFILES.generic, parseArchList('12.0+PTX'), [
      { module: 'pkg._a', code: [sass(12, 0, 'a'), ptx(12, 0)] },
    ]);
    expect(withPtx.gaps).toEqual([]);
  });

  it('generic: a wheel with no GPU code at all runs nowhere', () => {
    expect(coverage(PROFILES.generic, parseArchList('9.0;12.0'), [{ module: 'pkg._host', code: [] }]).gaps).toEqual([
      'no extension module carries GPU code, so nothing runs on 9.0, 12.0',
    ]);
  });

  it('sageattention: the modules sageattn loads on each GPU must serve it, and must be there', () => {
    const result = coverage(PROFILES.sageattention, parseArchList('8.0;8.6;9.0;12.0'), [
      { module: 'sageattention._fused', code: [sass(8, 0), sass(9, 0, 'a'), sass(12, 0, 'a')] },
      { module: 'sageattention._qattn_sm80', code: [sass(8, 0)] },
      { module: 'sageattention._qattn_sm90', code: [sass(9, 0, 'a'), sass(12, 0, 'a')] },
    ]);
    expect(result.gaps).toEqual(['sageattention._qattn_sm89 is not in the wheel, and sageattention loads it on 12.0']);
    // _qattn_sm90 carrying sm_120a does not help: sageattn does not load it on 12.0.
    expect(result.table[2]!.archs['12.0']).toEqual({ served: 'sass', required: false });
    // sm86 takes the Triton path: only _fused must serve it.
    expect(result.table[0]!.archs['8.6']).toEqual({ served: 'sass', required: true });
    expect(result.gpus).toEqual({ '8.0': 'sass', '8.6': 'sass', '9.0': 'sass' });
  });
});
