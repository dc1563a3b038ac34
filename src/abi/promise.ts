import { majorMinor } from '../core/version';
import { cudaTag } from '../torch/releases';
import type { SourceAbi } from './detect';

/**
 * The local version label of a wheel: "+cu130torch2.11.0" for one torch, and for a stable-ABI
 * wheel the form woct0rdho's wheels made familiar, "+cu130torch2.10.0andhigher" (a valid PEP 440
 * local label: alphanumeric segments separated by dots).
 */
export function abiVersionSuffix(cuda: string, torch: string | undefined, abi: SourceAbi): string {
  if (!torch) return `+${cudaTag(cuda)}`;
  return `+${cudaTag(cuda)}torch${torch}${abi.stable ? 'andhigher' : ''}`;
}

/**
 * The torch requirement a wheel's METADATA must carry: the built minor for a wheel tied to
 * libtorch's C++ ABI ("torch>=2.7,<2.8"); a stable-ABI wheel, built against its floor, serves
 * every torch from the one it was built with ("torch>=2.10").
 */
export function torchRequirement(torch: string, abi: SourceAbi): string {
  const minor = majorMinor(torch);
  if (abi.stable) return `torch>=${minor}`;
  const [major, min] = minor.split('.').map(Number) as [number, number];
  return `torch>=${minor},<${major}.${min + 1}`;
}
