import { type Arch, archName, checkArchsForCuda, formatArch, formatArchList, parseArchList } from '../arch/arch';
import { ConfigurationError, inputError } from '../core/errors';
import { atLeast, majorMinor } from '../core/version';
import type { PackageProfile } from '../packages/profiles';
import { TORCH_ARCH_LISTS } from '../torch/releases';

/**
 * The archs to build: `auto` is what the package has kernels for (SageAttention), else what
 * PyTorch's own wheels of that CUDA carry; anything else is parsed, checked against the CUDA
 * and the package, and comes back sorted.
 */
export function resolveArchs(input: string, cuda: string, profile: PackageProfile): Arch[] {
  let archs: Arch[];
  try {
    archs = parseArchList(input === 'auto' ? autoArchList(cuda, profile) : input);
    checkArchsForCuda(archs, cuda);
  } catch (error) {
    if (error instanceof ConfigurationError) throw new ConfigurationError(`arch-list: ${error.message}`);
    throw error;
  }
  if (profile.archs) {
    for (const arch of archs) {
      const min = profile.archs[archName(arch)];
      if (!min) {
        throw inputError('arch-list', `${formatArch(arch)} has no kernels in ${profile.name}`, `It has kernels for ${Object.keys(profile.archs).join(', ')}`);
      }
      if (!atLeast(cuda, min)) {
        throw inputError('arch-list', `${profile.name} needs CUDA >= ${min} for ${formatArch(arch)} (this is ${cuda})`, 'Use a newer cuda-version or leave that arch out');
      }
    }
  }
  return archs;
}

function autoArchList(cuda: string, profile: PackageProfile): string {
  if (profile.archs) {
    return Object.entries(profile.archs)
      .filter(([, min]) => atLeast(cuda, min))
      .map(([arch]) => arch)
      .join(';');
  }
  const torchList = TORCH_ARCH_LISTS[majorMinor(cuda)];
  if (!torchList) {
    throw inputError('arch-list', `"auto" knows no PyTorch arch list for CUDA ${cuda}`, `Known: ${Object.keys(TORCH_ARCH_LISTS).join(', ')}; or give the archs`);
  }
  return torchList;
}

/** TORCH_CUDA_ARCH_LIST as every setup.py reads it: `;`-separated (spaces are one item to most). */
export const torchCudaArchList = formatArchList;
