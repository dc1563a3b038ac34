import { describe, expect, it } from 'vitest';
import {
  archProblem,
  checkArchsForCuda,
  normalizeArchList,
  parseArch,
  parseArchList,
  serves,
} from '../../src/arch/arch';

describe('arch lists', () => {
  it('reads every separator and spelling users write', () => {
    expect(normalizeArchList('9.0 12.0')).toBe('9.0;12.0');
    expect(normalizeArchList('12.0,9.0;8.6  8.0')).toBe('8.0;8.6;9.0;12.0');
    expect(normalizeArchList('sm_90a sm_120 86 12.0+ptx')).toBe('8.6;9.0a;12.0+PTX');
  });

  it('refuses unknown archs and variants', () => {
    expect(() => parseArch('sm_999')).toThrow(/not a GPU architecture CUDA knows/);
    expect(() => parseArch('8.6a')).toThrow(/sm_86 has no "a" variant/);
    expect(() => parseArchList(' ; ')).toThrow(/no GPU architecture given/);
    expect(() => parseArch('ampere')).toThrow(/is not a GPU architecture/);
  });

  it('knows which CUDA compiles which arch', () => {
    expect(archProblem(parseArch('12.0'), '12.6')).toBe('12.0 needs CUDA >= 12.8');
    expect(archProblem(parseArch('9.0a'), '11.8')).toBe('9.0a needs CUDA >= 12.0');
    expect(archProblem(parseArch('7.0'), '13.0')).toBe('7.0 was dropped after CUDA 12.9');
    expect(archProblem(parseArch('12.1'), '12.9')).toBeUndefined();
    expect(() => checkArchsForCuda(parseArchList('8.0;12.0;12.1'), '12.8')).toThrow(
      'CUDA 12.8 cannot compile 12.1 needs CUDA >= 12.9',
    );
  });
});

describe('serves', () => {
  const code = (kind: 'sass' | 'ptx', major: number, minor: number, variant: '' | 'a' | 'f' = '') => ({
    kind,
    major,
    minor,
    variant,
  });
  it('runs SASS on the same major at an equal or newer minor only', () => {
    expect(serves(code('sass', 8, 0), { major: 8, minor: 6 })).toBe('sass');
    expect(serves(code('sass', 8, 6), { major: 8, minor: 0 })).toBeUndefined();
    expect(serves(code('sass', 9, 0), { major: 12, minor: 0 })).toBeUndefined();
  });
  it('runs an a-variant only on its own GPU', () => {
    expect(serves(code('sass', 12, 0, 'a'), { major: 12, minor: 0 })).toBe('sass');
    expect(serves(code('sass', 12, 0, 'a'), { major: 12, minor: 1 })).toBeUndefined();
    expect(serves(code('ptx', 9, 0, 'a'), { major: 10, minor: 0 })).toBeUndefined();
  });
  it('JIT-compiles PTX on any newer GPU', () => {
    expect(serves(code('ptx', 8, 0), { major: 12, minor: 0 })).toBe('ptx');
    expect(serves(code('ptx', 12, 0), { major: 9, minor: 0 })).toBeUndefined();
  });
});
