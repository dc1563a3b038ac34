import { archName, formatArch, KNOWN_ARCHS, parseArch, serves, type Arch, type GpuCode } from '../arch/arch';
import type { PackageProfile } from '../packages/profiles';
import { codeName } from './fatbin';

/** What carries a GPU's code in a module: native SASS, PTX compiled by the driver at load (JIT), both, or nothing. */
export type Served = 'sass' | 'ptx' | 'sass+ptx' | 'missing';

export interface ModuleCode {
  module: string;
  code: GpuCode[];
}

export function servedBy(code: readonly GpuCode[], gpu: Pick<Arch, 'major' | 'minor'>): Served {
  const sass = code.some((c) => c.kind === 'sass' && serves(c, gpu));
  const ptx = code.some((c) => c.kind === 'ptx' && serves(c, gpu));
  return sass && ptx ? 'sass+ptx' : sass ? 'sass' : ptx ? 'ptx' : 'missing';
}

/** Whether what is there satisfies the request: any code runs it, and `+PTX` asks for PTX too. */
const satisfies = (served: Served, arch: Arch): boolean => served !== 'missing' && (!arch.ptx || served !== 'sass');

/**
 * The modules that must run on a GPU: those the package's dispatcher loads there
 * (sageattention), or every module with GPU code (generic).
 */
export function modulesNeeded(profile: PackageProfile, gpu: string, modules: readonly ModuleCode[]): string[] {
  if (profile.modulesFor) return [...profile.modulesFor(gpu)];
  return modules.filter((m) => m.code.length > 0).map((m) => m.module);
}

export interface Coverage {
  /** Per module, per requested arch (as written in the request): what serves it and whether it must. */
  table: { module: string; archs: Record<string, { served: Served; required: boolean }> }[];
  /** One sentence per module that must serve an arch and does not. */
  gaps: string[];
  /** Every GPU of a known architecture that the wheel runs on, and how (weakest module). */
  gpus: Record<string, 'sass' | 'ptx'>;
}

export function coverage(
  profile: PackageProfile,
  requested: readonly Arch[],
  modules: readonly ModuleCode[],
): Coverage {
  const byName = new Map(modules.map((m) => [m.module, m]));
  const gaps: string[] = [];
  const required = new Map<string, Set<string>>();
  if (profile.gpuCode !== false && !profile.modulesFor && modules.every((m) => m.code.length === 0)) {
    gaps.push(`no extension module carries GPU code, so nothing runs on ${requested.map(formatArch).join(', ')}`);
  }
  for (const arch of requested) {
    const gpu = archName(arch);
    for (const name of modulesNeeded(profile, gpu, modules)) {
      required.set(name, (required.get(name) ?? new Set()).add(formatArch(arch)));
      const module = byName.get(name);
      if (!module) {
        gaps.push(`${name} is not in the wheel, and ${profile.name} loads it on ${gpu}`);
        continue;
      }
      const served = servedBy(module.code, arch);
      if (!satisfies(served, arch)) {
        const has = module.code.length ? module.code.map(codeName).join(', ') : 'no GPU code';
        gaps.push(
          `${name} has no ${served === 'sass' ? 'PTX' : 'GPU code'} for ${formatArch(arch)} (it carries ${has})`,
        );
      }
    }
  }
  const table = modules.map((m) => ({
    module: m.module,
    archs: Object.fromEntries(
      requested.map((arch) => [
        formatArch(arch),
        { served: servedBy(m.code, arch), required: required.get(m.module)?.has(formatArch(arch)) ?? false },
      ]),
    ),
  }));
  return { table, gaps, gpus: gpusServed(profile, modules) };
}

function gpusServed(profile: PackageProfile, modules: readonly ModuleCode[]): Record<string, 'sass' | 'ptx'> {
  const gpus: Record<string, 'sass' | 'ptx'> = {};
  for (const gpu of profile.archs ? Object.keys(profile.archs) : KNOWN_ARCHS) {
    const needed = modulesNeeded(profile, gpu, modules);
    const served = needed.map((name) => servedBy(modules.find((m) => m.module === name)?.code ?? [], parseArch(gpu)));
    if (needed.length === 0 || served.includes('missing')) continue;
    gpus[gpu] = served.includes('ptx') ? 'ptx' : 'sass';
  }
  return gpus;
}
