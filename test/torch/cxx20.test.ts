import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raiseToCxx20, torchNeedsCxx20 } from '../../src/builder/cxx-standard';
import { diagnose } from '../../src/builder/diagnose';
import { runProcess } from '../../src/core/exec';

// thu-ml/SageAttention's setup.py pins C++17 for both compilers, as here.
const SETUP_PY = `CXX_FLAGS = ["-g", "-O3", "-fopenmp", "-lgomp", "-std=c++17", "-DENABLE_BF16"]
NVCC_FLAGS = [
    "-O3",
    "-std=c++17",
    "-U__CUDA_NO_HALF_OPERATORS__",
]
WINDOWS = ['/std:c++17', "--std=c++14"]
KEEP = "-std=c++17 in a sentence is not a flag"
`;

describe('torch >= 2.13 is C++20', () => {
  it('is the case from 2.13 on, local labels aside', () => {
    expect(['2.12.0', '2.12.1+cu130', '2.13.0', '2.15.0+cu132'].map(torchNeedsCxx20)).toEqual([
      false,
      false,
      true,
      true,
    ]);
  });

  it("raises setup.py's quoted -std pins to C++20, and nothing else", () => {
    const { text, count } = raiseToCxx20(SETUP_PY);
    expect(count).toBe(4);
    expect(text).toContain('"-fopenmp", "-lgomp", "-std=c++20", "-DENABLE_BF16"');
    expect(text).toContain(`WINDOWS = ['/std:c++20', "--std=c++20"]`);
    expect(text).toContain('KEEP = "-std=c++17 in a sentence is not a flag"');
    expect(raiseToCxx20(text)).toEqual({ text, count: 0 });
  });

  describe('with a real compiler against a header guarded as torch/all.h is', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'sagewheels-cxx20-'));
      await writeFile(
        path.join(dir, 'all.h'),
        '#pragma once\n#if __cplusplus < 202002L\n#error C++20 or later compatible compiler is required to use PyTorch.\n#endif\n#include <compare>\ninline std::strong_ordering order(int a, int b) { return a <=> b; }\n',
      );
      await writeFile(path.join(dir, 'ext.cpp'), '#include "all.h"\nint main() { return order(1, 2) < 0 ? 0 : 1; }\n');
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));
    /** g++ with the cxx flags a setup.py text gives. */
    const compile = (setupPy: string) => {
      const flags = JSON.parse(/CXX_FLAGS = (\[.*\])/.exec(setupPy)![1]!) as string[];
      const std = flags.filter((f) => f.startsWith('-std='));
      return runProcess('g++', [...std, '-c', 'ext.cpp', '-o', 'ext.o'], { cwd: dir });
    };

    it('fails as C++17, and build names the cause and the remedy', async () => {
      const failed = await compile(SETUP_PY);
      expect(failed.code).not.toBe(0);
      expect(diagnose(failed.stderr)).toMatch(
        /^torch's headers need C\+\+20 \("C\+\+20 or later compatible compiler is required to use PyTorch"\), but the package compiles them as C\+\+17: .*Change those flags to -std=c\+\+20/,
      );
    });

    it('compiles once the pin is raised', async () => {
      const built = await compile(raiseToCxx20(SETUP_PY).text);
      expect(built.stderr).toBe('');
      expect(built.code).toBe(0);
    });
  });

  it('names the other symptoms of C++20 headers compiled as C++17', () => {
    expect(
      diagnose("c10/util/intrusive_ptr.h:110:8: error: 'strong_ordering' in namespace 'std' does not name a type"),
    ).toMatch(/^torch's headers need C\+\+20/);
  });
});
