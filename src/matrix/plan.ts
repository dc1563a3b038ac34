import { aarch64Archs } from '../arch/aarch64';
import { type Arch, formatArchList, parseArchList } from '../arch/arch';
import { ConfigurationError, inputError } from '../core/errors';
import { atLeast, compareVersions, majorMinor } from '../core/version';
import { defaultArchs, packageArchProblem, type PackageProfile, packageProfile } from '../packages/profiles';
import { snapshotReleases } from '../torch/load';
import { TORCH_AARCH64_ARCH_LISTS, type TorchReleases, torchVersionProblem, versionSuffix } from '../torch/releases';
import { parseTorchVersions, selectTorchVersions } from '../torch/select';
import { isMatrixPlatform, MATRIX_PLATFORMS, type MatrixPlatform } from '../wheel/tags';
import { applyExclude, applyInclude, type MatrixRule, parseRules } from './rules';
import { describeItem, parseVersionSelection, pick, pickItem, splitList, type VersionSelection } from './versions';

/** One job of the matrix: what the build step needs, and any key an include added. */
export interface MatrixEntry {
  python: string;
  torch: string;
  cuda: string;
  platform: MatrixPlatform;
  'arch-list': string;
  'version-suffix': string;
  [key: string]: unknown;
}

/** The matrix inputs as given (kebab-case names in errors). */
export interface MatrixOptions {
  /** A package name, or its profile (as the source has it). */
  package: string | PackageProfile;
  torchVersions: string;
  cudaVersions: string;
  pythonVersions: string;
  platforms: string;
  archList: string;
  include: string;
  exclude: string;
}

export interface Plan {
  entries: MatrixEntry[];
  /** Combinations left out, each with the reason. */
  leftOut: string[];
  /** Exclude objects that matched nothing (a typo, most likely). */
  warnings: string[];
  /** Entries dropped because their wheel is already on the release. */
  published: MatrixEntry[];
  /** "120 -> 4 jobs: ..." when an ABI collapsed the plan. */
  collapse?: string;
}

/** GitHub runs at most this many jobs from one matrix. */
export const MAX_JOBS = 256;

/** The keys that span the matrix; the other keys follow from them, and an include may change those. */
const DIMENSIONS = ['python', 'torch', 'cuda', 'platform'] as const;

/** A torch the plan builds against, with what PyTorch published of it. */
interface Torch {
  version: string;
  cudas: string[];
  pythons: string[];
}

/** Every input read and checked for form: all a plan needs besides the releases. */
export function parseMatrixOptions(options: MatrixOptions) {
  const profile = typeof options.package === 'string' ? packageProfile(options.package) : options.package;
  parseTorchVersions(options.torchVersions);
  const platforms = parsePlatforms(options.platforms);
  const cudas = parseVersionSelection('cuda-versions', options.cudaVersions, /^\d+\.\d+(?:\.\d+)?$/, '12.8, 12.6-13.0');
  const pythons = parseVersionSelection('python-versions', options.pythonVersions, /^\d+\.\d+t?$/, '3.12, 3.10-3.13');
  const archs =
    options.archList.trim() === 'auto' ? undefined : withInput('arch-list', () => parseArchList(options.archList));
  const exclude = parseRules('exclude', options.exclude);
  const include = parseRules('include', options.include);
  return { profile, platforms, cudas, pythons, archs, exclude, include };
}

/**
 * Every combination the inputs ask for that PyTorch published (a wheel of that torch, CUDA,
 * Python and platform is on its index) and the package can build.
 */
export function planMatrix(options: MatrixOptions, releases: TorchReleases = snapshotReleases()): Plan {
  const { profile, platforms, cudas, pythons, archs, exclude, include } = parseMatrixOptions(options);
  const torches = selectTorchVersions(options.torchVersions, releases).map((version) => ({
    version,
    cudas: releases.cudas(version),
    pythons: releases.pythons(version),
  }));

  requirePicked(
    'cuda-versions',
    cudas,
    torches,
    (t) => t.cudas,
    (who, what) => `PyTorch published no CUDA ${what} build of ${who}`,
  );
  requirePicked(
    'python-versions',
    pythons,
    torches,
    (t) => t.pythons,
    (who, what) =>
      what === '3.1'
        ? `${who} supports no Python 3.1 (YAML reads an unquoted 3.10 as 3.1: quote it)`
        : `${who} supports no Python ${what}`,
  );
  for (const item of cudas === 'auto' ? [] : cudas) {
    const problem = 'version' in item ? cudaProblem(profile, item.version) : undefined;
    if (problem)
      throw inputError(
        'cuda-versions',
        `${describeItem(item)}: ${problem}`,
        `Allowed: CUDA >= ${profile.minCuda}, or auto`,
      );
  }

  const leftOut: string[] = [];
  const planned: MatrixEntry[] = [];
  for (const torch of torches) {
    for (const cuda of unpicked(cudas, torch.cudas)) {
      leftOut.push(`torch ${torch.version} has no CUDA ${cuda} build (PyTorch published ${torch.cudas.join(', ')})`);
    }
    for (const python of unpicked(pythons, torch.pythons)) {
      leftOut.push(`torch ${torch.version} does not support Python ${python} (${pythonRange(torch.pythons)})`);
    }
    for (const cuda of pick(cudas, torch.cudas)) {
      const problem = cudaProblem(profile, cuda);
      if (problem) {
        leftOut.push(`torch ${torch.version} with CUDA ${cuda}: ${problem}`);
        continue;
      }
      const built = new Map<MatrixPlatform, Arch[]>();
      for (const platform of platforms) {
        const there = torch.cudas.filter((c) => releases.platforms(torch.version, c).includes(platform));
        const archList = archs ?? platformArchs(profile, cuda, platform);
        if (!there.includes(majorMinor(cuda)))
          leftOut.push(
            `torch ${torch.version} has no CUDA ${cuda} build for ${platform} (PyTorch published ${there.join(', ') || 'none'} there)`,
          );
        else if (archList.length === 0)
          leftOut.push(
            `torch ${torch.version} with CUDA ${cuda} on ${platform}: ${profile.name} has no kernels for its GPUs`,
          );
        else built.set(platform, archList);
      }
      for (const python of pick(pythons, torch.pythons)) {
        for (const [platform, archList] of built) {
          if (releases.has(torch.version, majorMinor(cuda), python, platform))
            planned.push(entry({ python, torch: torch.version, cuda, platform }, archList));
          else leftOut.push(`torch ${torch.version} with CUDA ${cuda} has no Python ${python} wheel for ${platform}`);
        }
      }
    }
  }

  // GitHub's order: exclude first, then include (which may add back what exclude removed).
  const { kept, unused } = applyExclude(planned, exclude);
  const warnings = unused.map((rule) => `exclude: ${JSON.stringify(rule)} matches no planned combination`);
  const entries = applyInclude(kept, include, DIMENSIONS, {
    extend: (rule, target) => checkedRule(rule, profile, target.cuda),
    create: (rule) => newEntry(rule, profile, archs, releases),
  });
  // Checked where it lands (an include may have replaced it): a wheel silently short of an arch is the bug this prevents.
  if (archs)
    checkArchs(
      'arch-list',
      profile,
      archs,
      entries.filter((e) => e['arch-list'] === formatArchList(archs)).map((e) => e.cuda),
    );
  if (entries.length === 0) {
    throw new ConfigurationError(
      `no combination is left to build${leftOut.length > 0 ? ` (${leftOut.join('; ')})` : ''}. Widen torch-versions, cuda-versions or python-versions, or narrow exclude`,
    );
  }
  return { entries, leftOut, warnings, published: [] };
}

/** A plan of more jobs than GitHub runs fails before any runner is taken. */
export function checkJobLimit(plan: Plan): void {
  if (plan.entries.length > MAX_JOBS) {
    throw new ConfigurationError(
      `the plan has ${plan.entries.length} jobs; a GitHub matrix runs at most ${MAX_JOBS}. Narrow torch-versions, cuda-versions, python-versions or platforms, or split the release across workflows`,
    );
  }
}

/** Rethrows a user error with the input's name in front. */
function withInput<T>(input: string, body: () => T): T {
  try {
    return body();
  } catch (error) {
    throw error instanceof ConfigurationError ? new ConfigurationError(`${input}: ${error.message}`) : error;
  }
}

function parsePlatforms(text: string): MatrixPlatform[] {
  const names = [...new Set(splitList(text))];
  const allowed = `Allowed: ${MATRIX_PLATFORMS.join(', ')}`;
  if (names.length === 0) throw inputError('platforms', 'is empty', allowed);
  for (const name of names) {
    if (!isMatrixPlatform(name))
      throw inputError('platforms', `"${name}" is not a platform sagewheels builds for`, allowed);
  }
  return names as MatrixPlatform[];
}

/** Each version or range the user listed must pick something from at least one torch's row. */
function requirePicked(
  input: string,
  selection: VersionSelection,
  torches: readonly Torch[],
  table: (torch: Torch) => readonly string[],
  problem: (who: string, what: string) => string,
): void {
  for (const item of selection === 'auto' ? [] : selection) {
    if (torches.some((torch) => pickItem(item, table(torch)).length > 0)) continue;
    const who = `torch ${torches.map((t) => t.version).join(', ')}`;
    throw inputError(
      input,
      problem(who, describeItem(item)),
      `Allowed: ${torches.map((t) => `torch ${t.version}: ${table(t).join(', ')}`).join('; ')}`,
    );
  }
}

/** Versions the user listed one by one that this torch's row lacks. */
const unpicked = (selection: VersionSelection, table: readonly string[]): string[] =>
  selection === 'auto'
    ? []
    : selection.flatMap((item) => ('version' in item && pickItem(item, table).length === 0 ? [item.version] : []));

const cudaProblem = (profile: PackageProfile, cuda: string): string | undefined =>
  profile.minCuda && !atLeast(cuda, profile.minCuda) ? `${profile.name} needs CUDA >= ${profile.minCuda}` : undefined;

/** `arch-list: auto` of one job: on linux aarch64 only the archs of Arm machines' GPUs (GH200, GB200, Thor, GB10). */
function platformArchs(profile: PackageProfile, cuda: string, platform: MatrixPlatform): Arch[] {
  if (platform !== 'linux-aarch64') return defaultArchs(profile, cuda);
  if (profile.archs) return aarch64Archs(defaultArchs(profile, cuda));
  const torchList = TORCH_AARCH64_ARCH_LISTS[majorMinor(cuda)];
  return torchList ? parseArchList(torchList) : aarch64Archs(defaultArchs(profile, cuda));
}

/** "3.10-3.14": the regular CPythons a torch has wheels for. */
function pythonRange(pythons: readonly string[]): string {
  const regular = pythons.filter((p) => !p.endsWith('t'));
  return regular.length > 1 ? `${regular[0]}-${regular.at(-1)}` : (regular[0] ?? 'none');
}

function entry(job: Pick<MatrixEntry, (typeof DIMENSIONS)[number]>, archs: readonly Arch[]): MatrixEntry {
  return {
    ...job,
    'arch-list': formatArchList(archs),
    'version-suffix': versionSuffix(job.cuda, job.torch),
  };
}

/** Every arch must build with every CUDA given, or one error lists what does not. */
function checkArchs(input: string, profile: PackageProfile, archs: readonly Arch[], cudas: readonly string[]): void {
  const unique = [...new Set(cudas)].sort(compareVersions);
  const problems = unique.flatMap((cuda) =>
    archs.flatMap((arch) => {
      const problem = packageArchProblem(profile, arch, cuda);
      return problem ? [`with CUDA ${cuda}, ${problem}`] : [];
    }),
  );
  if (problems.length > 0) {
    throw inputError(
      input,
      `${formatArchList(archs)} cannot be built: ${problems.join('; ')}`,
      `Drop those archs or those CUDA versions; arch-list: auto gives ${unique.map((cuda) => `${cuda}: ${formatArchList(defaultArchs(profile, cuda))}`).join(', ')}`,
    );
  }
}

function newEntry(
  rule: MatrixRule,
  profile: PackageProfile,
  archs: readonly Arch[] | undefined,
  releases: TorchReleases,
): MatrixEntry {
  const missing = DIMENSIONS.filter((key) => !(key in rule));
  if (missing.length > 0) {
    throw inputError(
      'include',
      `${JSON.stringify(rule)} matches no planned combination, and lacks ${missing.join(', ')} to be a new one`,
      'A new combination names python, torch, cuda and platform; an object that extends planned ones names only values they have',
    );
  }
  const { python, torch, cuda, platform } = rule as Record<(typeof DIMENSIONS)[number], string>;
  const version = releases.find(torch);
  const versionProblem = torchVersionProblem(releases, torch);
  const cudas = version ? releases.cudas(version) : [];
  const problem = versionProblem
    ? `${versionProblem.given}. ${versionProblem.allowed}`
    : !cudas.includes(majorMinor(cuda))
      ? `PyTorch published no CUDA ${cuda} build of torch ${torch} (it published ${cudas.join(', ')})`
      : !releases.pythons(version!).includes(python)
        ? `torch ${torch} does not support Python ${python} (${pythonRange(releases.pythons(version!))})`
        : !isMatrixPlatform(platform)
          ? `"${platform}" is not a platform sagewheels builds for (${MATRIX_PLATFORMS.join(', ')})`
          : !releases.has(version!, majorMinor(cuda), python, platform)
            ? `PyTorch published no torch ${torch} wheel of CUDA ${cuda} for Python ${python} on ${platform} (there: ${releases.pythons(version!, majorMinor(cuda), platform).join(', ') || 'none'})`
            : cudaProblem(profile, cuda);
  if (problem)
    throw inputError(
      'include',
      `${JSON.stringify(rule)}: ${problem}`,
      'Include only what PyTorch published and the package builds',
    );
  const job = { python, torch, cuda, platform: platform as MatrixPlatform };
  return {
    ...entry(job, archs ?? platformArchs(profile, cuda, job.platform)),
    ...checkedRule(rule, profile, cuda),
  };
}

/** The rule with its arch-list normalized and checked against the CUDA of the entry it lands on. */
function checkedRule(rule: MatrixRule, profile: PackageProfile, cuda: string): MatrixRule {
  if (typeof rule['arch-list'] !== 'string') return rule;
  const archs = withInput('include', () => parseArchList(rule['arch-list'] as string));
  checkArchs('include', profile, archs, [cuda]);
  return { ...rule, 'arch-list': formatArchList(archs) };
}
