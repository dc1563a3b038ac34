import { compareVersions, majorMinor } from '../core/version';
import type { WheelName } from './name';

/** The platforms a build matrix names, and the wheel platform tags that install on each. */
export type MatrixPlatform = 'linux-x86_64' | 'linux-aarch64' | 'windows-x86_64';
export const MATRIX_PLATFORMS: readonly MatrixPlatform[] = ['linux-x86_64', 'linux-aarch64', 'windows-x86_64'];

const PLATFORM_TAG: Record<MatrixPlatform, RegExp> = {
  // setup.py writes linux_x86_64; auditwheel repairs it to manylinux1/2010/2014 or manylinux_2_28.
  'linux-x86_64': /^(?:linux|manylinux(?:1|2010|2014|_\d+_\d+))_x86_64$/,
  // Arm servers (GH200, GB200, DGX Spark): PyTorch's own wheels are manylinux_2_28_aarch64.
  'linux-aarch64': /^(?:linux|manylinux(?:2014|_\d+_\d+))_aarch64$/,
  'windows-x86_64': /^win_amd64$/,
};

export const isMatrixPlatform = (name: string): name is MatrixPlatform =>
  (MATRIX_PLATFORMS as readonly string[]).includes(name);

/** The CPython tag of a Python version: "3.12" -> "cp312". */
export const pythonTag = (python: string): string => `cp${majorMinor(python).replace('.', '')}`;

/** Whether one platform tag ("manylinux_2_28_x86_64") installs on the matrix platform. */
export const platformTagFits = (tag: string, platform: MatrixPlatform): boolean => PLATFORM_TAG[platform].test(tag);

/** "cp39" -> "3.9"; undefined for tags that are not CPython's. */
const cpythonVersion = (tag: string): string | undefined => /^cp(\d)(\d+)$/.exec(tag)?.slice(1).join('.');

/**
 * Whether pip installs the wheel on this CPython and platform: its tags may be compressed sets
 * ("cp311.cp312"), and an abi3 wheel serves every CPython from its own version on.
 */
export function wheelFits(wheel: WheelName, python: string, platform: MatrixPlatform): boolean {
  const pythonTags = wheel.python.split('.');
  const abis = wheel.abi.split('.');
  // A free-threaded CPython (3.14t) takes cp314-cp314t wheels, and no abi3 module.
  const freeThreaded = python.endsWith('t');
  const own = pythonTag(python.replace(/t$/, ''));
  const fitsPython =
    (pythonTags.includes(own) && abis.some((abi) => (abi === `${own}t`) === freeThreaded)) ||
    (!freeThreaded &&
      abis.includes('abi3') &&
      pythonTags.some((tag) => {
        const version = cpythonVersion(tag);
        return (
          version !== undefined &&
          version.split('.')[0] === python.split('.')[0] &&
          compareVersions(version, majorMinor(python)) <= 0
        );
      }));
  return fitsPython && wheel.platform.split('.').some((tag) => platformTagFits(tag, platform));
}

/**
 * WHEEL with its Tag lines on a new (compressed) platform tag: one line per python-abi pair
 * and platform, in place of the old ones; every other line kept.
 */
export function retagWheelFile(text: string, platform: string): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  const pairs = [...new Set(lines.flatMap((line) => /^Tag:\s*(\S+)-[^-\s]+$/.exec(line)?.slice(1) ?? []))];
  const first = lines.findIndex((line) => /^Tag:/.test(line));
  const kept = lines.filter((line) => !/^Tag:/.test(line));
  const tags = pairs.flatMap((pair) => platform.split('.').map((tag) => `Tag: ${pair}-${tag}`));
  kept.splice(first < 0 ? kept.length : first, 0, ...tags);
  return kept.join(eol);
}
