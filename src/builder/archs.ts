import { type Arch, archProblem, formatArchList, parseArchList } from '../arch/arch';
import { ConfigurationError, inputError } from '../core/errors';
import { defaultArchs, packageArchProblem, type PackageProfile } from '../packages/profiles';

/**
 * The archs to build: `auto` is what the package has kernels for at this CUDA (SageAttention),
 * else PyTorch's own list for that CUDA; anything else is parsed in any separator, sorted, and
 * checked against the CUDA and the package. Without a profile (package auto, not yet read) only
 * the CUDA is checked, and `auto` waits: [].
 */
export function resolveArchs(input: string, cuda: string, profile: PackageProfile | undefined): Arch[] {
  if (input === 'auto') {
    if (!profile) return [];
    const archs = defaultArchs(profile, cuda);
    if (archs.length === 0)
      throw inputError('arch-list', `"auto" knows no archs for ${profile.name} with CUDA ${cuda}`, 'Give the archs');
    return archs;
  }
  let archs: Arch[];
  try {
    archs = parseArchList(input);
  } catch (error) {
    throw error instanceof ConfigurationError ? new ConfigurationError(`arch-list: ${error.message}`) : error;
  }
  const problems = archs
    .map((arch) => (profile ? packageArchProblem(profile, arch, cuda) : archProblem(arch, cuda)))
    .filter((p): p is string => p !== undefined);
  if (problems.length > 0) {
    const allowed = profile ? formatArchList(defaultArchs(profile, cuda)) : '';
    throw inputError(
      'arch-list',
      `${problems.join('; ')} (CUDA ${cuda})`,
      allowed ? `${profile!.name} with CUDA ${cuda} builds ${allowed}` : 'Give archs this CUDA compiles',
    );
  }
  return archs;
}
