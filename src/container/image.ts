import { inputError } from '../core/errors';
import type { LinuxArch } from '../wheel/policy';

/** pypa's manylinux_2_28 images: glibc 2.28 like PyTorch's own wheels, every CPython in /opt/python, no CUDA (the job's is mounted). */
export const MANYLINUX_IMAGE = 'quay.io/pypa/manylinux_2_28';

const LINUX_ARCHS: Partial<Record<NodeJS.Architecture, LinuxArch>> = { x64: 'x86_64', arm64: 'aarch64' };

/** The job's architecture as manylinux names it; undefined where there is no manylinux. */
export const linuxArchOf = (arch: NodeJS.Architecture = process.arch): LinuxArch | undefined => LINUX_ARCHS[arch];

/**
 * The image the build runs in, or undefined for the host. `auto` is the manylinux_2_28 image of
 * the job's architecture on Linux and the host elsewhere (Windows builds have no manylinux).
 */
export function chooseImage(
  input: string,
  platform: NodeJS.Platform = process.platform,
  arch: NodeJS.Architecture = process.arch,
): string | undefined {
  if (input === 'none') return undefined;
  if (input === 'auto') {
    const linuxArch = linuxArchOf(arch);
    return platform === 'linux' && linuxArch ? `${MANYLINUX_IMAGE}_${linuxArch}` : undefined;
  }
  if (platform !== 'linux')
    throw inputError('container', `"${input}" on ${platform}`, 'Containers build Linux wheels only: use auto or none');
  // An image reference is one word: a space would make the rest arguments of the engine.
  if (!/^[a-z0-9][\w.\-/:@]*$/i.test(input)) {
    throw inputError(
      'container',
      `"${input}" is not an image name`,
      'Allowed: auto, none, or an image such as quay.io/pypa/manylinux_2_28_x86_64 or registry/name:tag',
    );
  }
  return input;
}
