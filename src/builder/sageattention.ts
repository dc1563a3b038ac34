import { type Arch, formatArch, formatArchList } from '../arch/arch';

/**
 * Whether this SageAttention setup.py compiles its _qattn_sm90 module with the flags every other
 * module gets (thu-ml main: one NVCC_FLAGS list with a -gencode per arch) rather than flags of
 * its own (woct0rdho: get_nvcc_flags(["9.0"])). Read from the text, so forks are judged by
 * what they do, not by their URL.
 */
export function sm90SharesArchs(setupPy: string): boolean {
  const match = /_qattn_sm90["'][\s\S]{0,1000}?["']nvcc["']\s*:\s*([^,}\n]+)/.exec(setupPy);
  return match !== null && /^[A-Za-z_]\w*$/.test(match[1]!.trim());
}

/**
 * Why this source cannot build these archs together, or undefined: _qattn_sm90 uses wgmma,
 * which exists only on sm_90a, so giving it any other arch fails in ptxas
 * ("Instruction 'wgmma.fence' not supported on .target 'sm_120a'").
 */
export function archMixProblem(setupPy: string, archs: readonly Arch[]): string | undefined {
  const others = archs.filter((arch) => !(arch.major === 9 && arch.minor === 0));
  if (others.length === 0 || others.length === archs.length || !sm90SharesArchs(setupPy)) return undefined;
  return (
    `arch-list: ${formatArchList(archs)} cannot be built together from this source: its setup.py compiles the ` +
    `_qattn_sm90 module (wgmma, sm_90a only) for every arch in the list, so ptxas fails on ${others.map(formatArch).join(', ')}. ` +
    'Build 9.0 in a job of its own, leave 9.0 out, or use a source that gives each module its own archs (woct0rdho/SageAttention)'
  );
}
