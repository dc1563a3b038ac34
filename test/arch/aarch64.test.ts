import { describe, expect, it } from 'vitest';
import { AARCH64_GPUS, aarch64Archs } from '../../src/arch/aarch64';
import { archProblem, formatArchList, parseArch, parseArchList } from '../../src/arch/arch';
import { TORCH_AARCH64_ARCH_LISTS, TORCH_ARCH_LISTS } from '../../src/torch/releases';

const problem = (arch: string, cuda: string) => archProblem(parseArch(arch), cuda);

describe('arch rules of aarch64 GPUs and CUDA 13.1/13.2', () => {
  it('GH200 9.0 and GB200 10.0 on CUDA 12.8+, Thor 11.0 on CUDA 13, GB10 12.1 on CUDA 12.9+', () => {
    expect(AARCH64_GPUS.map((g) => `${g.gpu} ${g.arch}`)).toEqual([
      'A100 (Arm servers) 8.0',
      'GH200 9.0',
      'GB200 10.0',
      'Jetson Thor 11.0',
      'GB10 (DGX Spark) 12.1',
    ]);
    expect(problem('11.0', '12.9')).toBe('11.0 needs CUDA >= 13.0');
    expect(['13.0', '13.1', '13.2'].map((cuda) => problem('11.0', cuda))).toEqual([undefined, undefined, undefined]);
    expect(problem('12.1', '12.8')).toBe('12.1 needs CUDA >= 12.9');
    expect(problem('12.1a', '13.2')).toBeUndefined();
    expect(problem('10.0', '12.6')).toBe('10.0 needs CUDA >= 12.8');
  });

  it('CUDA 13.1 and 13.2 keep 13.0 dropping sm_50-sm_72 and sm_101', () => {
    for (const cuda of ['13.1', '13.2']) {
      expect(problem('7.0', cuda)).toBe('7.0 was dropped after CUDA 12.9');
      expect(problem('10.1', cuda)).toBe('10.1 was dropped after CUDA 12.9');
      expect(problem('7.5', cuda)).toBeUndefined();
      expect(problem('10.3', cuda)).toBeUndefined();
    }
  });

  it("PyTorch's own arch lists compile with their CUDA, on x86_64 and on aarch64", () => {
    for (const lists of [TORCH_ARCH_LISTS, TORCH_AARCH64_ARCH_LISTS]) {
      for (const [cuda, list] of Object.entries(lists)) {
        expect(
          parseArchList(list)
            .map((arch) => archProblem(arch, cuda))
            .filter(Boolean),
          `${cuda}: ${list}`,
        ).toEqual([]);
      }
    }
    // aarch64 lists hold only archs of aarch64 GPUs, bar 12.0(+PTX), which serves GB10 by PTX and SASS.
    for (const list of Object.values(TORCH_AARCH64_ARCH_LISTS)) {
      const extra = parseArchList(list).filter((arch) => aarch64Archs([arch]).length === 0);
      expect(formatArchList(extra)).toMatch(/^(12\.0(\+PTX)?)?$/);
    }
  });

  it('keeps the archs of a list that an aarch64 GPU is', () => {
    expect(formatArchList(aarch64Archs(parseArchList('8.0;8.6;8.9;9.0;10.0;12.0;12.1')))).toBe('8.0;9.0;10.0;12.1');
    expect(aarch64Archs(parseArchList('7.5;8.6'))).toEqual([]);
  });
});
