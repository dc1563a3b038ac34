import path from 'node:path';
import { appendFlags } from '../core/flags';
import { atLeast } from '../core/version';
import type { JobPlan } from './jobs';

export interface BuildEnvironmentOptions {
  base: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  cudaHome: string;
  /** Folders first on PATH: the venv's bin (Scripts), and the base interpreter's when the venv inherits its packages. */
  binDirs: readonly string[];
  /** `;`-separated, as every setup.py splits it. */
  archList: string;
  plan: JobPlan;
  /** "2.7.1", when the build has torch. */
  torchVersion?: string;
  /** Header folders searched after the toolkit's own (the venv's nvidia-* wheels). */
  includeDirs?: readonly string[];
  /** Byte-reproducible output: the build's fixed time and the folder whose name is mapped out of the binaries. */
  reproducible?: { epoch: number; workRoot: string };
}

/** What the build folder becomes in debug info, __FILE__ and assertion messages. */
export const MAPPED_WORK_ROOT = '/sagewheels';

/**
 * Flags that keep the build folder and the clock out of the binaries:
 * - gcc: -ffile-prefix-map (debug info, __FILE__), through CFLAGS and CXXFLAGS (setuptools and
 *   PyTorch's ninja builds append them) and through nvcc's -Xcompiler for its host pass.
 * - ld: --discard-all. nvcc hands gcc a temporary file named after its process id
 *   (tmpxft_<pid>_...cudafe1.cpp), which gcc writes into the object as its file symbol; dropping
 *   local symbols at link time is the one way to keep it out of the library (and its build id).
 * - MSVC: /Brepro (no timestamps) and /pathmap (with /experimental:deterministic) through the
 *   CL and LINK variables cl.exe and link.exe read, which reach nvcc's host compiles too.
 * A folder with a space or comma is not mapped: nvcc splits its flags on both.
 */
function reproducibleFlags(
  env: NodeJS.ProcessEnv,
  windows: boolean,
  reproducible: { epoch: number; workRoot: string },
): string[] {
  env.SOURCE_DATE_EPOCH = String(reproducible.epoch);
  const mappable = !/[\s,]/.test(reproducible.workRoot);
  if (windows) {
    // cl.exe applies /pathmap (to __FILE__ too) only with /experimental:deterministic.
    const cl = [
      '/Brepro',
      ...(mappable ? ['/experimental:deterministic', `/pathmap:${reproducible.workRoot}=\\sagewheels`] : []),
    ];
    env.CL = appendFlags(env.CL, cl);
    env.LINK = appendFlags(env.LINK, ['/Brepro']);
    return [];
  }
  env.LDFLAGS = appendFlags(env.LDFLAGS, ['-Wl,--discard-all']);
  if (!mappable) return [];
  const map = `-ffile-prefix-map=${reproducible.workRoot}=${MAPPED_WORK_ROOT}`;
  env.CFLAGS = appendFlags(env.CFLAGS, [map]);
  env.CXXFLAGS = appendFlags(env.CXXFLAGS, [map]);
  return [`-Xcompiler=${map}`];
}

/**
 * The environment setup.py runs in. TORCH_CUDA_ARCH_LIST is always set, replacing whatever the
 * runner has (a machine-wide "9.0a" would otherwise decide the wheel's archs).
 */
export function buildEnvironment(options: BuildEnvironmentOptions): NodeJS.ProcessEnv {
  const { base, platform, plan } = options;
  const windows = platform === 'win32';
  const join = windows ? path.win32.join : path.posix.join;
  const nvccFlags: string[] = [];
  // nvcc reads NVCC_APPEND_FLAGS itself, so this reaches every package; SageAttention's setup.py
  // also copies it into its own flags, and nvcc takes a flag given twice with one value.
  if (plan.splitCompile > 1) nvccFlags.push(`--split-compile=${plan.splitCompile}`);
  const env: NodeJS.ProcessEnv = {
    ...base,
    PATH: [...options.binDirs, join(options.cudaHome, 'bin'), base.PATH ?? base.Path ?? ''].join(windows ? ';' : ':'),
    CUDA_HOME: options.cudaHome,
    CUDA_PATH: options.cudaHome,
    TORCH_CUDA_ARCH_LIST: options.archList,
    // ninja -j inside each extension, and SageAttention's extensions built at once. Real
    // concurrency is bounded by the objects there are (SageAttention: 14 in 4 extensions), so
    // the slowest one starts at once instead of waiting for a slot.
    MAX_JOBS: String(plan.jobs),
    EXT_PARALLEL: String(plan.jobs),
    PYTHONUNBUFFERED: '1',
    PIP_DISABLE_PIP_VERSION_CHECK: '1',
  };
  if (!windows && options.includeDirs?.length) {
    // The host compiler reads CPATH after every -I, so the toolkit's own headers still win;
    // nvcc preprocesses with it, so device code sees them too.
    env.CPATH = [base.CPATH ?? '', ...options.includeDirs].filter(Boolean).join(':');
  }
  if (windows) {
    delete env.Path;
    // vcvars is already in the environment (setup-msvc); without this PyTorch runs it again.
    env.DISTUTILS_USE_SDK = '1';
    env.LIB = [join(options.cudaHome, 'lib', 'x64'), base.LIB ?? ''].filter(Boolean).join(';');
    // PyTorch >= 2.7 headers fail under nvcc+MSVC with C2872 'std' ambiguous unless USE_CUDA
    // is defined for nvcc too (pytorch/pytorch#148317).
    if (options.torchVersion && atLeast(options.torchVersion, '2.7')) nvccFlags.push('-DUSE_CUDA');
  }
  if (options.reproducible) nvccFlags.push(...reproducibleFlags(env, windows, options.reproducible));
  if (nvccFlags.length > 0) env.NVCC_APPEND_FLAGS = appendFlags(base.NVCC_APPEND_FLAGS, nvccFlags);
  return env;
}
