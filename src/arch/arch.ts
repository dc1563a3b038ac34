import { ConfigurationError } from '../core/errors';
import { readList } from '../core/list';
import { atLeast, compareVersions } from '../core/version';

/** A GPU target as TORCH_CUDA_ARCH_LIST names it: 9.0, 9.0a, 12.0+PTX. */
export interface Arch {
  major: number;
  minor: number;
  /** `a`: only that exact GPU; `f`: that GPU family. */
  variant: '' | 'a' | 'f';
  /** PTX embedded too, JIT-compiled on newer GPUs. */
  ptx: boolean;
}

interface KnownArch {
  min: string;
  /** Last CUDA that compiles it (13.0 dropped sm_50-sm_72 and renamed sm_101 to sm_110). */
  max?: string;
  a?: string;
  f?: string;
}

/** Minimum CUDA per architecture and per variant (nvcc --list-gpu-arch of each release). */
const KNOWN: Record<string, KnownArch> = {
  '3.5': { min: '5.0', max: '11.8' },
  '3.7': { min: '5.0', max: '11.8' },
  '5.0': { min: '6.0', max: '12.9' },
  '5.2': { min: '6.0', max: '12.9' },
  '5.3': { min: '6.0', max: '12.9' },
  '6.0': { min: '8.0', max: '12.9' },
  '6.1': { min: '8.0', max: '12.9' },
  '6.2': { min: '8.0', max: '12.9' },
  '7.0': { min: '9.0', max: '12.9' },
  '7.2': { min: '9.2', max: '12.9' },
  '7.5': { min: '10.0' },
  '8.0': { min: '11.0' },
  '8.6': { min: '11.1' },
  '8.7': { min: '11.4' },
  '8.9': { min: '11.8' },
  '9.0': { min: '11.8', a: '12.0' },
  '10.0': { min: '12.8', a: '12.8', f: '12.9' },
  '10.1': { min: '12.8', max: '12.9', a: '12.8', f: '12.9' },
  '10.3': { min: '12.9', a: '12.9', f: '12.9' },
  '11.0': { min: '13.0', a: '13.0', f: '13.0' },
  '12.0': { min: '12.8', a: '12.8', f: '12.9' },
  '12.1': { min: '12.9', a: '12.9', f: '12.9' },
};

export const KNOWN_ARCHS = Object.keys(KNOWN).sort((a, b) => compareVersions(a, b));

const FORMS = 'e.g. "8.0;8.6;9.0", "9.0 12.0", "sm_90a", "12.0+PTX"';
const TOKEN = /^(?:sm_?)?(\d{1,2})(?:\.(\d)|(\d))([af])?(\+ptx)?$/i;

export const archName = (arch: Pick<Arch, 'major' | 'minor'>): string => `${arch.major}.${arch.minor}`;

export function formatArch(arch: Arch): string {
  return `${archName(arch)}${arch.variant}${arch.ptx ? '+PTX' : ''}`;
}

export function compareArchs(a: Arch, b: Arch): number {
  return a.major - b.major || a.minor - b.minor || a.variant.localeCompare(b.variant);
}

/** One token: "8.6", "86", "sm_86", "sm_90a", "12.0+PTX". */
export function parseArch(token: string): Arch {
  const match = TOKEN.exec(token.trim());
  if (!match) throw new ConfigurationError(`"${token}" is not a GPU architecture (${FORMS})`);
  const [, major, dotted, bare, variant, ptx] = match;
  const arch: Arch = {
    major: Number(major),
    minor: Number(dotted ?? bare),
    variant: (variant?.toLowerCase() ?? '') as Arch['variant'],
    ptx: ptx !== undefined,
  };
  const known = KNOWN[archName(arch)];
  if (!known) {
    throw new ConfigurationError(`"${token}" is not a GPU architecture CUDA knows. Known: ${KNOWN_ARCHS.join(', ')}`);
  }
  if (arch.variant && !known[arch.variant]) {
    throw new ConfigurationError(`"${token}": sm_${arch.major}${arch.minor} has no "${arch.variant}" variant`);
  }
  return arch;
}

/**
 * Any list a user writes: separated by ";", spaces or commas. Sorted, duplicates merged,
 * so the same archs always give the same list.
 */
export function parseArchList(text: string): Arch[] {
  const tokens = readList(text, 'words', 'arch-list');
  if (tokens.length === 0) throw new ConfigurationError(`no GPU architecture given (${FORMS})`);
  const merged = new Map<string, Arch>();
  const parse = (token: string): Arch => {
    try {
      return parseArch(token);
    } catch (error) {
      // "12,0" meant as one arch reads as two: show the whole value and how it was split.
      if (tokens.length < 2 || !(error instanceof ConfigurationError)) throw error;
      const split = tokens.map((t) => JSON.stringify(t)).join(', ');
      throw new ConfigurationError(
        `${JSON.stringify(text.trim())} was split into ${split} (";", "," and spaces separate archs): ${error.message}`,
      );
    }
  };
  for (const arch of tokens.map(parse)) {
    const key = `${archName(arch)}${arch.variant}`;
    const seen = merged.get(key);
    merged.set(key, { ...arch, ptx: arch.ptx || (seen?.ptx ?? false) });
  }
  return [...merged.values()].sort(compareArchs);
}

/** The `;`-separated form that every setup.py splits correctly. */
export function formatArchList(archs: readonly Arch[]): string {
  return archs.map(formatArch).join(';');
}

export const normalizeArchList = (text: string): string => formatArchList(parseArchList(text));

/** Why `cuda` cannot compile `arch`, or undefined when it can. */
export function archProblem(arch: Arch, cuda: string): string | undefined {
  const known = KNOWN[archName(arch)];
  if (!known) return `${formatArch(arch)} is not a known architecture`;
  const min = arch.variant ? known[arch.variant] : known.min;
  if (min && !atLeast(cuda, min)) return `${formatArch(arch)} needs CUDA >= ${min}`;
  if (known.max && compareVersions(cuda, known.max) > 0)
    return `${formatArch(arch)} was dropped after CUDA ${known.max}`;
  return undefined;
}

/** Every arch the CUDA compiles, or one error that lists what does not and why. */
export function checkArchsForCuda(archs: readonly Arch[], cuda: string): void {
  const problems = archs.map((arch) => archProblem(arch, cuda)).filter((p): p is string => p !== undefined);
  if (problems.length > 0) {
    throw new ConfigurationError(`CUDA ${cuda} cannot compile ${problems.join('; ')}`);
  }
}

/** GPU code found in a binary: SASS for one target, or PTX. */
export interface GpuCode {
  kind: 'sass' | 'ptx';
  major: number;
  minor: number;
  variant: '' | 'a' | 'f';
}

/**
 * How `code` runs on a GPU of compute capability major.minor: SASS runs on the same major
 * at an equal or newer minor (an `a` variant only on its own GPU); PTX is JIT-compiled on
 * any newer GPU (arch-specific PTX only on its own).
 */
export function serves(code: GpuCode, gpu: { major: number; minor: number }): 'sass' | 'ptx' | undefined {
  const exact = code.major === gpu.major && code.minor === gpu.minor;
  if (code.variant === 'a') return exact ? code.kind : undefined;
  if (code.kind === 'sass') {
    return code.major === gpu.major && gpu.minor >= code.minor ? 'sass' : undefined;
  }
  if (code.variant === 'f') return code.major === gpu.major && gpu.minor >= code.minor ? 'ptx' : undefined;
  return gpu.major * 10 + gpu.minor >= code.major * 10 + code.minor ? 'ptx' : undefined;
}
