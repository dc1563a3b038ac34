import { inputError } from '../core/errors';
import { atLeast } from '../core/version';

/** The _MSC_VER values nvcc accepts as its host compiler, both ends included. */
export interface MsvcRange {
  min: number;
  max: number;
}

/**
 * From each release's crt/host_config.h, newest last: a row holds from its CUDA version up to the
 * next row's. CUDA <= 12.3 also fails inside the STL of toolset 14.40+ (STL1002), which its range
 * already leaves out.
 */
const HOST_MSVC: readonly { cuda: string; range: MsvcRange }[] = [
  { cuda: '0', range: { min: 1910, max: 1939 } },
  { cuda: '12.4', range: { min: 1910, max: 1949 } },
  { cuda: '13.0', range: { min: 1920, max: 1949 } },
  { cuda: '13.2', range: { min: 1920, max: 1959 } },
];

const CUDA_VERSION = /^\d+\.\d+(?:\.\d+)?$/;

export function parseCudaVersion(value: string): string {
  if (!CUDA_VERSION.test(value)) {
    throw inputError(
      'cuda-version',
      `"${value}" is not a CUDA version`,
      'Allowed: major.minor or major.minor.patch, e.g. 12.8 or 12.8.1',
    );
  }
  return value;
}

/** The MSVC that CUDA `cuda`'s nvcc accepts without -allow-unsupported-compiler. */
export function nvccMsvcRange(cuda: string): MsvcRange {
  return HOST_MSVC.filter((row) => atLeast(cuda, row.cuda)).at(-1)!.range;
}

export const inRange = (mscVer: number, range: MsvcRange): boolean => mscVer >= range.min && mscVer <= range.max;

/** nvcc flags for an MSVC outside its range: nvcc's own check, and the STL's check of CUDA (STL1002). */
export const UNSUPPORTED_COMPILER_FLAGS = ['-allow-unsupported-compiler', '-D_ALLOW_COMPILER_AND_STL_VERSION_MISMATCH'];
