import { compareVersions } from '../core/version';
import { type LinuxArch, POLICIES } from '../wheel/policy';

/**
 * platform-tag in a container: auto is the newest manylinux policy the image's glibc meets (an
 * image of glibc 2.28 gives manylinux_2_28, as auditwheel in a manylinux image does), so a wheel
 * promises what the image it was built in proves; the check of its ELF files against that policy
 * then fails naming the symbol and the file that need more. Any other input stays as given.
 */
export function containerPlatformTag(input: string, glibc: string, arch: LinuxArch): string {
  if (input !== 'auto') return input;
  const met = POLICIES.filter((p) => p.ceilings[arch] && compareVersions(p.glibc, glibc) <= 0);
  return met.length > 0 ? met[met.length - 1]!.name : input;
}
