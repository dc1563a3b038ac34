import { inputError } from '../core/errors';
import { archivesFor, type Archive, type Manifest } from './manifest';
import { isWindows, type RedistPlatform } from './platform';

export const COMPONENT_SETS = ['torch-extension', 'compiler', 'full'] as const;

/** nvcc, the runtime it links, and CCCL (Thrust, CUB, libcu++), which PyTorch's headers include. */
const COMPILER = ['cuda_nvcc', 'cuda_cudart', 'cuda_cccl'];
/** CUDA 13 moved nvcc's crt headers and cicc/libdevice into components of their own. */
const COMPILER_SPLIT_IN_13 = ['cuda_crt', 'libnvvm'];
/**
 * ATen/cuda/CUDAContext.h includes cublas_v2.h, cublasLt.h, cusparse.h and cusolverDn.h, and
 * extensions with random kernels include curand_kernel.h. On Linux PyTorch's CUDA wheels depend on
 * nvidia-* wheels that bring these headers into the venv; on Windows torch bundles only the DLLs.
 */
const TORCH_LIBRARY_HEADERS = ['libcublas', 'libcusparse', 'libcusolver', 'libcurand'];

/** `compiler`: nvcc and what it needs to compile and link CUDA code, on any platform. */
export const compilerComponents = (major: number): string[] => [
  ...COMPILER,
  ...(major >= 13 ? COMPILER_SPLIT_IN_13 : []),
];

/** What building a PyTorch CUDA extension needs from the toolkit on this platform and CUDA major. */
export function torchExtensionComponents(major: number, platform: RedistPlatform): string[] {
  return [...compilerComponents(major), ...(isWindows(platform) ? TORCH_LIBRARY_HEADERS : [])];
}

/**
 * `full`: every component NVIDIA licenses as the CUDA Toolkit (compilers, libraries, tools), which
 * leaves out the driver, Nsight and fabric management that a toolkit install does not need.
 */
export function fullComponents(manifest: Manifest, platform: RedistPlatform): string[] {
  return [...archivesFor(manifest, platform).values()]
    .filter((a) => a.license === 'CUDA Toolkit')
    .map((a) => a.component);
}

/** Checks the `components` input's spelling before anything is downloaded. */
export function checkComponentsInput(requested: readonly string[]): void {
  if (requested.length === 0) {
    throw inputError(
      'components',
      'is empty',
      `Allowed: ${COMPONENT_SETS.join(', ')}, or redist component names (cuda_nvcc, libcublas, ...)`,
    );
  }
  const bad = requested.filter((name) => !COMPONENT_SETS.includes(name as never) && !/^[a-z][a-z0-9_]*$/.test(name));
  if (bad.length > 0) {
    throw inputError(
      'components',
      `${bad.map((b) => `"${b}"`).join(', ')} is not a set or a component name`,
      `Allowed: ${COMPONENT_SETS.join(', ')}, or redist component names such as cuda_nvcc`,
    );
  }
}

export const needsManifest = (requested: readonly string[]): boolean => requested.includes('full');

/** Set names expanded, duplicates dropped, sorted: the names that also key the tool cache. */
export function expandComponents(
  requested: readonly string[],
  major: number,
  platform: RedistPlatform,
  manifest?: Manifest,
): string[] {
  const names = new Set<string>();
  for (const item of requested) {
    if (item === 'torch-extension') torchExtensionComponents(major, platform).forEach((n) => names.add(n));
    else if (item === 'compiler') compilerComponents(major).forEach((n) => names.add(n));
    else if (item === 'full') {
      if (!manifest) throw new Error('the full component set needs the manifest');
      fullComponents(manifest, platform).forEach((n) => names.add(n));
    } else names.add(item);
  }
  return [...names].sort();
}

/** The archive of each named component for the platform; one error naming every missing one. */
export function selectArchives(names: readonly string[], manifest: Manifest, platform: RedistPlatform): Archive[] {
  const available = archivesFor(manifest, platform);
  const missing = names.filter((name) => !available.has(name));
  if (missing.length > 0) {
    throw inputError(
      'components',
      `CUDA ${manifest.release} has no ${missing.join(', ')} for ${platform}`,
      `Components there: ${[...available.keys()].sort().join(', ')}`,
    );
  }
  return names.map((name) => available.get(name)!);
}
