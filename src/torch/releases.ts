import { compareVersions, majorMinor } from '../core/version';
import type { MatrixPlatform } from '../wheel/tags';
import type { TorchWheel } from './wheels';

/** What PyTorch published: version -> CUDA -> platform -> CPythons ("3.13t" free-threaded), oldest first. */
export type ReleaseTable = Readonly<
  Record<string, Readonly<Record<string, Partial<Record<MatrixPlatform, string[]>>>>>
>;

/** Pythons in order, a free-threaded build right after its regular one: 3.9, 3.10, 3.13, 3.13t. */
export const comparePythons = (a: string, b: string): number =>
  compareVersions(a.replace(/t$/, ''), b.replace(/t$/, '')) || Number(a.endsWith('t')) - Number(b.endsWith('t'));

const sorted = (items: Iterable<string>, compare = compareVersions): string[] => [...new Set(items)].sort(compare);

/** The CUDA torch wheels PyTorch's index lists, and the questions a plan asks of them. */
export class TorchReleases {
  constructor(readonly table: ReleaseTable) {}

  static fromWheels(wheels: Iterable<TorchWheel>): TorchReleases {
    const table: Record<string, Record<string, Partial<Record<MatrixPlatform, string[]>>>> = {};
    for (const { version, cuda, python, platform } of wheels) {
      const pythons = (((table[version] ??= {})[cuda] ??= {})[platform] ??= []);
      if (!pythons.includes(python)) pythons.push(python);
    }
    for (const cudas of Object.values(table))
      for (const platforms of Object.values(cudas))
        for (const pythons of Object.values(platforms)) pythons.sort(comparePythons);
    return new TorchReleases(table);
  }

  /** Every published version, oldest first. */
  get versions(): string[] {
    return Object.keys(this.table).sort(compareVersions);
  }

  /** Every minor series ("2.7"), oldest first. */
  get minors(): string[] {
    return sorted(this.versions.map(majorMinor));
  }

  /** The newest patch of a minor series. */
  newest(minor: string): string | undefined {
    return this.versions.filter((v) => majorMinor(v) === minor).pop();
  }

  /** "2.7.1" as given, or "2.7" as its newest patch; undefined when PyTorch never published it. */
  find(version: string): string | undefined {
    if (/^\d+\.\d+$/.test(version)) return this.newest(version);
    return version in this.table ? version : undefined;
  }

  /** The published versions around one that is not: two below, one above. */
  nearest(version: string): string[] {
    const versions = this.versions;
    const above = versions.findIndex((v) => compareVersions(v, version) > 0);
    const at = above === -1 ? versions.length : above;
    return versions.slice(Math.max(0, at - 2), at + 1);
  }

  cudas(version: string): string[] {
    return sorted(Object.keys(this.table[version] ?? {}));
  }

  platforms(version: string, cuda: string): MatrixPlatform[] {
    return Object.keys(this.table[version]?.[cuda] ?? {}) as MatrixPlatform[];
  }

  /** The Pythons of a version, of one CUDA build and platform when given. */
  pythons(version: string, cuda?: string, platform?: MatrixPlatform): string[] {
    const builds = Object.entries(this.table[version] ?? {}).filter(([c]) => !cuda || c === cuda);
    const lists = builds.flatMap(([, platforms]) =>
      Object.entries(platforms).flatMap(([p, pythons]) => (!platform || p === platform ? pythons : [])),
    );
    return sorted(lists.flat(), comparePythons);
  }

  has(version: string, cuda: string, python: string, platform: MatrixPlatform): boolean {
    return this.table[version]?.[cuda]?.[platform]?.includes(python) ?? false;
  }
}

/** Why PyTorch has no such torch, and the versions nearest to it; undefined when it has. */
export function torchVersionProblem(
  releases: TorchReleases,
  version: string,
): { given: string; allowed: string } | undefined {
  if (releases.find(version)) return undefined;
  const nearest = `Nearest published: ${releases.nearest(version).join(', ')}`;
  return releases.minors.includes(majorMinor(version))
    ? { given: `torch ${version} was never published`, allowed: nearest }
    : {
        given: `torch "${version}" is not a PyTorch release`,
        allowed: `${nearest} (known: ${releases.minors[0]} to ${releases.minors.at(-1)})`,
      };
}

/** TORCH_CUDA_ARCH_LIST of PyTorch's own x86_64 and Windows wheels per CUDA build. */
export const TORCH_ARCH_LISTS: Readonly<Record<string, string>> = {
  '11.8': '3.7;5.0;6.0;7.0;7.5;8.0;8.6;9.0',
  '12.1': '5.0;6.0;7.0;7.5;8.0;8.6;9.0',
  '12.4': '5.0;6.0;7.0;7.5;8.0;8.6;9.0',
  '12.6': '5.0;6.0;7.0;7.5;8.0;8.6;9.0',
  '12.8': '7.0;7.5;8.0;8.6;9.0;10.0;12.0',
  '12.9': '7.0;7.5;8.0;8.6;9.0;10.0;12.0+PTX',
  '13.0': '7.5;8.0;8.6;9.0;10.0;12.0+PTX',
  '13.2': '7.5;8.0;8.6;9.0;10.0;12.0+PTX',
};

/** TORCH_CUDA_ARCH_LIST of PyTorch's own linux aarch64 wheels per CUDA build (GH200, GB200, Thor, GB10). */
export const TORCH_AARCH64_ARCH_LISTS: Readonly<Record<string, string>> = {
  '12.6': '8.0;9.0',
  '12.8': '8.0;9.0;10.0;12.0',
  '12.9': '8.0;9.0;10.0;12.0+PTX',
  '13.0': '8.0;9.0;10.0;11.0;12.0+PTX',
  '13.2': '8.0;9.0;10.0;11.0;12.0+PTX',
};

/** PyTorch's index, under which each CUDA build has its own (cu128/) and all share torch/. */
export const PYTORCH_INDEX = 'https://download.pytorch.org/whl';

/** "12.8" -> "cu128" */
export const cudaTag = (cuda: string): string => `cu${majorMinor(cuda).replace('.', '')}`;

/** The pip index of one CUDA build: https://download.pytorch.org/whl/cu128, or the same under a mirror. */
export const torchIndexUrl = (cuda: string, base: string = PYTORCH_INDEX): string =>
  `${base.replace(/\/+$/, '')}/${cudaTag(cuda)}`;

/** The local version label of a wheel built against this CUDA and torch: "+cu128torch2.7.1". */
export function versionSuffix(cuda: string, torch?: string): string {
  return `+${cudaTag(cuda)}${torch ? `torch${torch}` : ''}`;
}
