import { ConfigurationError } from '../core/errors';
import { atLeast, compareVersions, majorMinor } from '../core/version';

export interface TorchRelease {
  /** The minor series, "2.7"; full versions like 2.7.1 pick this row. */
  minor: string;
  /** CUDA builds published to download.pytorch.org (pytorch/test-infra generate_binary_build_matrix.py). */
  cuda: readonly string[];
  python: { min: string; max: string };
}

export const TORCH_RELEASES: readonly TorchRelease[] = [
  { minor: '2.5', cuda: ['11.8', '12.1', '12.4'], python: { min: '3.9', max: '3.12' } },
  { minor: '2.6', cuda: ['11.8', '12.4', '12.6'], python: { min: '3.9', max: '3.13' } },
  { minor: '2.7', cuda: ['11.8', '12.6', '12.8'], python: { min: '3.9', max: '3.13' } },
  { minor: '2.8', cuda: ['12.6', '12.8', '12.9'], python: { min: '3.9', max: '3.13' } },
  { minor: '2.9', cuda: ['12.6', '12.8', '13.0'], python: { min: '3.10', max: '3.14' } },
  { minor: '2.10', cuda: ['12.6', '12.8', '13.0'], python: { min: '3.10', max: '3.14' } },
  { minor: '2.11', cuda: ['12.6', '12.8', '13.0'], python: { min: '3.10', max: '3.14' } },
];

/** TORCH_CUDA_ARCH_LIST of PyTorch's own wheels per CUDA build. */
export const TORCH_ARCH_LISTS: Readonly<Record<string, string>> = {
  '11.8': '3.7;5.0;6.0;7.0;7.5;8.0;8.6;9.0',
  '12.1': '5.0;6.0;7.0;7.5;8.0;8.6;9.0',
  '12.4': '5.0;6.0;7.0;7.5;8.0;8.6;9.0',
  '12.6': '5.0;6.0;7.0;7.5;8.0;8.6;9.0',
  '12.8': '7.0;7.5;8.0;8.6;9.0;10.0;12.0',
  '12.9': '7.0;7.5;8.0;8.6;9.0;10.0;12.0+PTX',
  '13.0': '7.5;8.0;8.6;9.0;10.0;12.0+PTX',
};

const TORCH_VERSION = /^(\d+\.\d+)(?:\.(\d+))?$/;

/** The row for "2.7" or "2.7.1"; anything else is a user error that lists the table. */
export function torchRelease(version: string): TorchRelease {
  const match = TORCH_VERSION.exec(version.trim());
  const row = match && TORCH_RELEASES.find((release) => release.minor === match[1]);
  if (!row) {
    throw new ConfigurationError(
      `torch "${version}" is not in the release table. Known: ${TORCH_RELEASES.map((r) => r.minor).join(', ')} (patch versions like 2.7.1 are accepted)`,
    );
  }
  return row;
}

export function torchSupportsPython(release: TorchRelease, python: string): boolean {
  return atLeast(python, release.python.min) && compareVersions(majorMinor(python), release.python.max) <= 0;
}

/** Every Python minor the release supports, oldest first: ["3.9", "3.10", ...]. */
export function torchPythons(release: TorchRelease): string[] {
  const [major, first] = release.python.min.split('.').map(Number) as [number, number];
  const last = Number(release.python.max.split('.')[1]);
  return Array.from({ length: last - first + 1 }, (_, i) => `${major}.${first + i}`);
}

/** "12.8" -> "cu128" */
export const cudaTag = (cuda: string): string => `cu${majorMinor(cuda).replace('.', '')}`;

export const torchIndexUrl = (cuda: string): string => `https://download.pytorch.org/whl/${cudaTag(cuda)}`;

/** The local version label of a wheel built against this CUDA and torch: "+cu128torch2.7.1". */
export function versionSuffix(cuda: string, torch?: string): string {
  return `+${cudaTag(cuda)}${torch ? `torch${torch}` : ''}`;
}
