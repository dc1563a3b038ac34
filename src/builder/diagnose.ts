/** A known build failure: what the log says, why, and what fixes it. */
interface KnownFailure {
  pattern: RegExp;
  explain(match: RegExpMatchArray): string;
}

// Ordered: a log can show several symptoms; the first listed is the root cause.
const KNOWN: readonly KnownFailure[] = [
  {
    pattern:
      /(?:'(cicc|ptxas|cudafe\+\+|nvlink)' died due to signal 9|(?:fatal error: )?Killed signal terminated program (cc1plus|cc1)|virtual memory exhausted|std::bad_alloc|out of memory allocating)/i,
    explain: (m) =>
      `the compiler${(m[1] ?? m[2]) ? ` (${m[1] ?? m[2]})` : ''} was killed for lack of memory. Lower the input jobs (each nvcc job can take several GB), or build on a runner with more memory`,
  },
  {
    pattern: /Instruction '(wgmma[.\w]*)' not supported on \.target '(sm_\w+)'/,
    explain: (m) =>
      `ptxas cannot compile ${m[1]} for ${m[2]}: wgmma exists only on sm_90a, and this setup.py compiles its sm90 module for every arch in the list (thu-ml/SageAttention does). Build with package: sageattention (or auto), whose nvcc wrapper gives each module its own archs, build 9.0 in a wheel of its own, or use a source that gives each module its own archs (woct0rdho/SageAttention)`,
  },
  {
    // torch >= 2.13 headers: torch/all.h's #error, and the C++20 library its c10 headers use.
    pattern:
      /(C\+\+20 or later compatible compiler is required to use PyTorch|'strong_ordering' in namespace 'std' does not name a type|'string_view' has no member named 'starts_with')/,
    explain: (m) =>
      `torch's headers need C++20 ("${m[1]}"), but the package compiles them as C++17: its setup.py passes -std=c++17 in its cxx or nvcc flags (thu-ml/SageAttention does), and torch >= 2.13 is C++20. Change those flags to -std=c++20 (package: sageattention does it in sagewheels' copy of the source), or build against torch 2.12 or older`,
  },
  {
    pattern: /error C2872: 'std': ambiguous symbol/,
    explain: () =>
      "MSVC reports C2872 'std': ambiguous symbol: PyTorch >= 2.7 headers (torch/csrc/dynamo/compiled_autograd.h) need USE_CUDA defined for nvcc (pytorch/pytorch#148317). sagewheels passes -DUSE_CUDA in NVCC_APPEND_FLAGS; check that the package's setup.py does not drop that variable",
  },
  {
    pattern: /unsupported Microsoft Visual Studio version/i,
    explain: () =>
      'nvcc does not accept this MSVC (it checks _MSC_VER: CUDA <= 12.3 takes VS 2017-2022 17.9, 12.4-12.9 up to 17.x, 13.0-13.1 not VS 2026). Run setup-msvc with the cuda-version before build, so it picks a toolset this nvcc accepts',
  },
  {
    pattern: /(?:ModuleNotFoundError|ImportError): No module named 'torch'/,
    explain: () =>
      'setup.py imports torch, but the build environment has none. Use torch: install (with torch-version) or torch: preinstalled with an interpreter that has torch; sagewheels builds without isolation, so the torch you give is the one the build sees',
  },
  {
    pattern: /(?:ModuleNotFoundError|ImportError): No module named '([\w.]+)'/,
    explain: (m) =>
      `setup.py imports ${m[1]}, which the build environment lacks: a build requirement that could not be installed (see the warnings above). Install it into the interpreter, or let pip reach an index (PIP_FIND_LINKS works offline)`,
  },
  {
    pattern: /RuntimeError: Unsupported GPU/,
    explain: () =>
      "sageattn3's setup.py chooses its arch from the GPU in this machine and ignores TORCH_CUDA_ARCH_LIST: build it with package: sageattn3 (or auto), which presents it the requested GPU and provides CUTLASS before the build, or on a runner with a Blackwell GPU (sm_100 or sm_120)",
  },
  {
    pattern:
      /(CUDA_HOME environment variable is not set|Cannot find CUDA_HOME|CUDA was not found on the system|nvcc not found at|nvcc: (?:command )?not found|No such file or directory: '[^']*nvcc[^']*'|CUDA_HOME is not set)/,
    explain: (m) =>
      `the build could not find nvcc ("${m[1]}"). Run setup-cuda before build, or give cuda-version of a toolkit installed on the runner`,
  },
];

/** One line, cause and remedy, for the first known failure in a build log. */
export function diagnose(log: string): string | undefined {
  for (const known of KNOWN) {
    const match = log.match(known.pattern);
    if (match) return known.explain(match);
  }
  return undefined;
}

// pip's own epilogue around a failed build: it names no cause.
const PIP_EPILOGUE =
  /subprocess-exited-with-error|metadata-generation-failed|Encountered error|Failed to build|Failed building wheel|^\s*(×|╰─>|│|note:|hint:)/;

// A compiler's "file:line: error" (gcc, nvcc) or "file(line): error" (MSVC, nvcc).
const COMPILER_ERROR = /^\s*\S+?(?::\d+(?::\d+)?:|\(\d+\):)\s*(?:fatal )?error\b/i;

/**
 * For failures nobody has seen before: the first compiler error (usually the cause of the
 * rest), else the last line that looks like an error, pip's epilogue skipped.
 */
export function errorLine(log: string): string | undefined {
  const lines = log.split(/\r?\n/);
  const line =
    lines.find((l) => COMPILER_ERROR.test(l)) ??
    lines
      .reverse()
      .find((l) => /\berror\b|fatal|Traceback/i.test(l) && !/^\s*(warning|note)\b/i.test(l) && !PIP_EPILOGUE.test(l));
  return line?.trim();
}
