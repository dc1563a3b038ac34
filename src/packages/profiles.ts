import { type Arch, archName, archProblem, formatArch, parseArchList } from '../arch/arch';
import { ConfigurationError } from '../core/errors';
import { atLeast, majorMinor } from '../core/version';
import { TORCH_ARCH_LISTS } from '../torch/releases';

export type PackageName = 'sageattention' | 'generic';
export const PACKAGE_NAMES: readonly PackageName[] = ['sageattention', 'generic'];

/** What is known of a package beyond PyTorch and CUDA. */
export interface PackageProfile {
  name: PackageName;
  /** Oldest CUDA the package builds with. */
  minCuda?: string;
  /** Architectures the package has kernels for, each with the CUDA it needs; absent: any PyTorch arch. */
  archs?: Readonly<Record<string, string>>;
  /** The import name, when known ahead of the wheel. */
  importName?: string;
  defaultSource?: string;
  /**
   * Extension modules (relative to the import name) the package loads on a GPU of this
   * compute capability ("12.0"); absent: every module with GPU code must serve every arch.
   */
  modulesFor?: (gpu: string) => readonly string[];
  /**
   * The attention function (of the import name) that picks its kernels by
   * torch.cuda.get_device_capability(); called as f(q, k, v, tensor_layout="HND").
   */
  dispatcher?: string;
  /**
   * Its setup.py pins -std=c++17 but its code compiles as C++20: against torch >= 2.13 (C++20
   * headers) the build raises the pin to C++20 in its copy of the source.
   */
  cxx20?: boolean;
}

const SAGE_DISPATCH: Readonly<Record<string, string>> = {
  '8.0': '_qattn_sm80',
  '8.9': '_qattn_sm89',
  '12.0': '_qattn_sm89',
  '12.1': '_qattn_sm89',
  '9.0': '_qattn_sm90',
};

export const PROFILES: Readonly<Record<PackageName, PackageProfile>> = {
  sageattention: {
    name: 'sageattention',
    minCuda: '12.0',
    archs: {
      '8.0': '12.0',
      '8.6': '12.0',
      '8.9': '12.4',
      '9.0': '12.3',
      '10.0': '12.8',
      '12.0': '12.8',
      '12.1': '12.9',
    },
    importName: 'sageattention',
    defaultSource: 'https://github.com/thu-ml/SageAttention.git',
    // sageattn() dispatches on torch.cuda.get_device_capability(); sm86 takes the Triton path.
    modulesFor: (gpu) => ['_fused', ...(SAGE_DISPATCH[gpu] ? [SAGE_DISPATCH[gpu]] : [])],
    dispatcher: 'sageattn',
    cxx20: true,
  },
  generic: { name: 'generic' },
};

export function packageProfile(name: string): PackageProfile {
  const profile = PROFILES[name as PackageName];
  if (!profile) {
    throw new ConfigurationError(`package: "${name}" is not known. Allowed: ${PACKAGE_NAMES.join(', ')}`);
  }
  return profile;
}

/** Why the package cannot be built for `arch` with `cuda` (CUDA's own limits first), or undefined. */
export function packageArchProblem(profile: PackageProfile, arch: Arch, cuda: string): string | undefined {
  const problem = archProblem(arch, cuda);
  if (problem || !profile.archs) return problem;
  const min = profile.archs[archName(arch)];
  if (min === undefined) return `${profile.name} has no kernels for ${formatArch(arch)}`;
  return atLeast(cuda, min) ? undefined : `${profile.name} needs CUDA >= ${min} for ${formatArch(arch)}`;
}

/** The archs the package builds for with this CUDA: its own that CUDA compiles, or PyTorch's list for that CUDA build. */
export function defaultArchs(profile: PackageProfile, cuda: string): Arch[] {
  if (!profile.archs) {
    const torchList = TORCH_ARCH_LISTS[majorMinor(cuda)];
    return torchList ? parseArchList(torchList) : [];
  }
  return parseArchList(Object.keys(profile.archs).join(';')).filter((arch) => !packageArchProblem(profile, arch, cuda));
}
