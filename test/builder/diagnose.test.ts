import { describe, expect, it } from 'vitest';
import { diagnose, errorLine } from '../../src/builder/diagnose';

// One line of each failure as the tools print it, inside some ordinary build noise.
const noise = [
  'running build_ext',
  '[3/14] /usr/local/cuda/bin/nvcc -c qk.cu -o qk.o',
  'ptxas info    : Used 128 registers',
];
const log = (...lines: string[]) => [...noise, ...lines, 'error: command failed with exit status 1'].join('\n');

describe('diagnose', () => {
  it.each([
    [
      "nvcc error   : 'cicc' died due to signal 9 (Kill signal)",
      /compiler \(cicc\) was killed for lack of memory\. Lower the input jobs/,
    ],
    [
      'c++: fatal error: Killed signal terminated program cc1plus',
      /compiler \(cc1plus\) was killed for lack of memory/,
    ],
    [
      "ptxas /tmp/tmpxft_1_sm90.ptx, line 812; error   : Instruction 'wgmma.fence' not supported on .target 'sm_120a'",
      /ptxas cannot compile wgmma\.fence for sm_120a: wgmma exists only on sm_90a.*woct0rdho/,
    ],
    ["compiled_autograd.h(1134): error C2872: 'std': ambiguous symbol", /C2872.*USE_CUDA.*148317/],
    [
      'host_config.h(164): fatal error C1189: #error:  -- unsupported Microsoft Visual Studio version! Only the versions between 2017 and 2022 (inclusive) are supported!',
      /nvcc does not accept this MSVC.*setup-msvc/,
    ],
    [
      "ModuleNotFoundError: No module named 'torch'",
      /imports torch, but the build environment has none\. Use torch: install/,
    ],
    [
      "ModuleNotFoundError: No module named 'packaging'",
      /^setup\.py imports packaging, which the build environment lacks: a build requirement that could not be installed/,
    ],
    ['RuntimeError: Unsupported GPU', /sageattn3's setup\.py chooses its arch from the GPU/],
    [
      'OSError: CUDA_HOME environment variable is not set. Please set it to your CUDA install root.',
      /could not find nvcc.*Run setup-cuda before build/,
    ],
  ])('%s', (line, expected) => {
    const found = diagnose(log(line));
    expect(found).toMatch(expected);
    expect(found).not.toContain('\n');
  });

  it('names the root cause when a memory kill also broke the link that followed', () => {
    const text = log(
      "nvcc error   : 'ptxas' died due to signal 9 (Kill signal)",
      "ModuleNotFoundError: No module named 'torch'",
    );
    expect(diagnose(text)).toMatch(/^the compiler \(ptxas\) was killed/);
  });

  it("leaves an unknown failure to its first compiler error, else its last error line past pip's epilogue", () => {
    const text = [
      log('csrc/x.cu(12): error: identifier "foo" is undefined', 'warning: something minor'),
      '  error: subprocess-exited-with-error',
      '  × Building wheel for x (pyproject.toml) did not run successfully.',
      '  note: This error originates from a subprocess, and is likely not a problem with pip.',
      'ERROR: Failed building wheel for x',
      'Failed to build x',
    ].join('\n');
    expect(diagnose(text)).toBeUndefined();
    expect(errorLine(text)).toBe('csrc/x.cu(12): error: identifier "foo" is undefined');
    expect(errorLine('a.cpp:3:9: fatal error: b.h: No such file or directory\nc.cpp:1:1: error: later')).toBe(
      'a.cpp:3:9: fatal error: b.h: No such file or directory',
    );
    expect(errorLine(log('warning: something minor'))).toBe('error: command failed with exit status 1');
    expect(errorLine('all good\nwarning: error-prone code ahead')).toBeUndefined();
  });
});
