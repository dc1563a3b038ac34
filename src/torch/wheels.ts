import { MATRIX_PLATFORMS, type MatrixPlatform, platformTagFits } from '../wheel/tags';

/** One CUDA wheel of torch on PyTorch's index: torch 2.7.1, CUDA 12.8, CPython 3.13t, linux-x86_64. */
export interface TorchWheel {
  version: string;
  cuda: string;
  /** "3.12"; free-threaded builds "3.13t". */
  python: string;
  platform: MatrixPlatform;
}

// torch-2.7.1+cu128-cp313-cp313t-manylinux_2_28_x86_64.whl; (names as the index lists them, "+" unquoted)
const NAME = /^torch-(\d+\.\d+\.\d+)\+cu(\d{3,})-cp(\d)(\d+)-cp\d+(t?)-([\w.]+)\.whl$/;

/** Which matrix platform a wheel's platform tags install on (compressed sets included). */
const platformOf = (tags: string): MatrixPlatform | undefined =>
  tags
    .split('.')
    .map((tag) => MATRIX_PLATFORMS.find((platform) => platformTagFits(tag, platform)))
    .find((platform) => platform !== undefined);

/**
 * A torch CUDA wheel's facts from its file name, or undefined for anything else the index lists
 * (CPU, ROCm and macOS builds, pre-releases, other packages).
 */
export function parseTorchWheel(fileName: string): TorchWheel | undefined {
  const match = NAME.exec(fileName);
  if (!match) return undefined;
  const [, version, cu, pyMajor, pyMinor, freeThreaded, tags] = match as unknown as string[];
  const platform = platformOf(tags!);
  if (!platform) return undefined;
  // cu128 -> 12.8, cu130 -> 13.0: the last digit is the minor.
  const cuda = `${Number(cu!.slice(0, -1))}.${cu!.slice(-1)}`;
  return { version: version!, cuda, python: `${pyMajor}.${pyMinor}${freeThreaded}`, platform };
}

/** The file name PyTorch gives that wheel (the snapshot script writes names from facts with it). */
export function torchWheelName(wheel: TorchWheel, platformTag: string): string {
  const [major, minor] = wheel.python.replace(/t$/, '').split('.');
  const cp = `cp${major}${minor}`;
  return `torch-${wheel.version}+cu${wheel.cuda.replace('.', '')}-${cp}-${cp}${wheel.python.endsWith('t') ? 't' : ''}-${platformTag}.whl`;
}
