import { type Arch, archName, archProblem, formatArch, parseArchList } from '../arch/arch';
import type { Log } from '../core/context';
import { atLeast, majorMinor } from '../core/version';
import { TORCH_ARCH_LISTS } from '../torch/releases';

/** What sagewheels reads of a source to recognise its package: the files as text, when present. */
export interface SourceFacts {
  dir: string;
  setupPy?: string;
  pyproject?: string;
  /** The project name setup.py or pyproject.toml declares, as written. */
  project?: string;
  version?: string;
}

/** What a package's build hook is given, once the source is in place and the archs are known. */
export interface BuildHookContext {
  source: SourceFacts;
  archs: readonly Arch[];
  /** Whether the arch list was `auto` (a hook may narrow it, saying so). */
  auto: boolean;
  /** Folder of a CUTLASS checkout given by the user, if any. */
  cutlass?: string;
  /** A folder sagewheels owns for this build (removed afterwards). */
  work: string;
  log: Log;
}

/** What a package asks of the build beyond PyTorch's own conventions. */
export interface BuildAdjustments {
  /** The archs to build after all (a hook may narrow `auto`). */
  archs?: Arch[];
  /** Variables setup.py reads (its own arch variable, a force-build switch). */
  env?: Record<string, string>;
  /** Give each extension module's nvcc compiles only the archs it serves (module -> archs). */
  routeArchs?: RouteTable;
  /** Make torch.cuda.get_device_capability() report this GPU during the build ("12.0"). */
  presentCapability?: string;
  /** Lines for the build log: what was adjusted, and why. */
  notes: string[];
}

/** Extension modules (dotted import names) with the source files (relative to the source) and archs each compiles. */
export type RouteTable = { module: string; sources: string[]; archs: string[] }[];

/** How the runtime test calls the package's attention function on q, k, v. */
export interface RuntimeCall {
  /** The function of the import name. */
  function: string;
  /** HND: (batch, heads, seq, dim), passed with tensor_layout="HND"; NHD: (batch, seq, heads, dim), no layout argument. */
  layout: 'HND' | 'NHD';
  /** Cosine similarity to PyTorch's SDPA it must reach. */
  minCosine: number;
}

/** What is known of a package beyond PyTorch and CUDA: one file under src/packages/ each. */
export interface PackageProfile {
  name: string;
  /** One line for the `package` input's description. */
  summary: string;
  /** false: a pure-Python wheel (Triton kernels); no nvcc, no archs. */
  gpuCode?: boolean;
  /** Oldest CUDA the package builds with. */
  minCuda?: string;
  /** Architectures the package has kernels for, each with the CUDA it needs; absent: any PyTorch arch. */
  archs?: Readonly<Record<string, string>>;
  /** The import name, when known ahead of the wheel. */
  importName?: string;
  defaultSource?: string;
  /** The branch of `defaultSource` the package is on (empty: its default branch). */
  defaultRef?: string;
  /** The folder of `defaultSource` the package is in. */
  defaultSubdirectory?: string;
  /** Whether this source is this package (read from setup.py / pyproject.toml). */
  recognise(source: SourceFacts): boolean;
  /**
   * Extension modules (dotted import names) the package loads on a GPU of this compute
   * capability ("12.0"); absent: every module with GPU code must serve every arch.
   */
  modulesFor?: (gpu: string) => readonly string[];
  /**
   * The attention function (of the import name) that picks its kernels by
   * torch.cuda.get_device_capability(): verify follows it to the modules it loads per GPU.
   */
  dispatcher?: string;
  /** The runtime test's call; absent: import checked only. */
  runtime?: RuntimeCall;
  /**
   * Its setup.py pins -std=c++17 but its code compiles as C++20: against torch >= 2.13 (C++20
   * headers) the build raises the pin to C++20 in its copy of the source.
   */
  cxx20?: boolean;
  /**
   * Of the package's archs, those this source runs on (read from the source folder), or
   * undefined when it cannot tell: `auto` then builds only those.
   */
  sourceArchs?(dir: string): Promise<string[] | undefined>;
  /** Source checks and build environment; may refuse with a ConfigurationError. */
  prepareBuild?(context: BuildHookContext): Promise<BuildAdjustments> | BuildAdjustments;
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

/**
 * The profile as this source has it: its archs narrowed to those the source runs on (what
 * `arch-list: auto` builds), with a line saying what was left out; the profile itself otherwise.
 */
export async function profileForSource(
  profile: PackageProfile,
  dir: string,
): Promise<{ profile: PackageProfile; note?: string }> {
  const runs = profile.archs && (await profile.sourceArchs?.(dir));
  if (!profile.archs || !runs) return { profile };
  const left = Object.keys(profile.archs).filter((gpu) => !runs.includes(gpu));
  if (left.length === 0) return { profile };
  const archs = Object.fromEntries(Object.entries(profile.archs).filter(([gpu]) => runs.includes(gpu)));
  return {
    profile: { ...profile, archs },
    note: `${profile.name}: this source's dispatcher has no path for ${left.join(', ')}: arch-list auto leaves ${left.length > 1 ? 'them' : 'it'} out`,
  };
}
