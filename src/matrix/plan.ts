import { type Arch, formatArchList, parseArchList } from '../arch/arch';
import { ConfigurationError, inputError } from '../core/errors';
import { atLeast, compareVersions, majorMinor } from '../core/version';
import { defaultArchs, packageArchProblem, type PackageProfile, packageProfile } from '../packages/profiles';
import { TORCH_RELEASES, type TorchRelease, torchPythons, torchRelease, versionSuffix } from '../torch/releases';
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
}

/** GitHub runs at most this many jobs from one matrix. */
export const MAX_JOBS = 256;

/** The keys that span the matrix; the other keys follow from them, and an include may change those. */
const DIMENSIONS = ['python', 'torch', 'cuda', 'platform'] as const;

interface Torch {
  version: string;
  release: TorchRelease;
}

/** Every combination the inputs ask for that PyTorch published and the package can build. */
export function planMatrix(options: MatrixOptions): Plan {
  const profile = typeof options.package === 'string' ? packageProfile(options.package) : options.package;
  const torches = parseTorches(options.torchVersions);
  const platforms = parsePlatforms(options.platforms);
  const cudas = parseVersionSelection('cuda-versions', options.cudaVersions, /^\d+\.\d+(?:\.\d+)?$/, '12.8, 12.6-13.0');
  const pythons = parseVersionSelection('python-versions', options.pythonVersions, /^\d+\.\d+$/, '3.12, 3.10-3.13');
  const archs =
    options.archList.trim() === 'auto' ? undefined : withInput('arch-list', () => parseArchList(options.archList));
  const exclude = parseRules('exclude', options.exclude);
  const include = parseRules('include', options.include);

  requirePicked(
    'cuda-versions',
    cudas,
    torches,
    (t) => t.release.cuda,
    (who, what) => `PyTorch published no CUDA ${what} build of ${who}`,
  );
  requirePicked(
    'python-versions',
    pythons,
    torches,
    (t) => torchPythons(t.release),
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
    const supported = torchPythons(torch.release);
    for (const cuda of unpicked(cudas, torch.release.cuda)) {
      leftOut.push(
        `torch ${torch.version} has no CUDA ${cuda} build (PyTorch published ${torch.release.cuda.join(', ')})`,
      );
    }
    for (const python of unpicked(pythons, supported)) {
      leftOut.push(
        `torch ${torch.version} does not support Python ${python} (${torch.release.python.min}-${torch.release.python.max})`,
      );
    }
    for (const cuda of pick(cudas, torch.release.cuda)) {
      const problem = cudaProblem(profile, cuda);
      if (problem) {
        leftOut.push(`torch ${torch.version} with CUDA ${cuda}: ${problem}`);
        continue;
      }
      for (const python of pick(pythons, supported)) {
        for (const platform of platforms)
          planned.push(entry(profile, { python, torch: torch.version, cuda, platform }, archs));
      }
    }
  }

  // GitHub's order: exclude first, then include (which may add back what exclude removed).
  const { kept, unused } = applyExclude(planned, exclude);
  const warnings = unused.map((rule) => `exclude: ${JSON.stringify(rule)} matches no planned combination`);
  const entries = applyInclude(kept, include, DIMENSIONS, {
    extend: (rule, target) => checkedRule(rule, profile, target.cuda),
    create: (rule) => newEntry(rule, profile, archs),
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

function parseTorches(text: string): Torch[] {
  const versions = [...new Set(splitList(text))];
  if (versions.length === 0) {
    throw inputError(
      'torch-versions',
      'is empty',
      `Allowed: PyTorch versions like 2.7.1, 2.8.0 (known: ${TORCH_RELEASES.map((r) => r.minor).join(', ')})`,
    );
  }
  if (versions.includes('2.1')) {
    throw inputError(
      'torch-versions',
      'torch "2.1" is not in the release table (YAML reads an unquoted 2.10 as 2.1: quote it)',
      'Write full versions like 2.10.0',
    );
  }
  return versions.map((version) => ({ version, release: withInput('torch-versions', () => torchRelease(version)) }));
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

function entry(
  profile: PackageProfile,
  job: Pick<MatrixEntry, (typeof DIMENSIONS)[number]>,
  archs: readonly Arch[] | undefined,
): MatrixEntry {
  return {
    ...job,
    'arch-list': formatArchList(archs ?? defaultArchs(profile, job.cuda)),
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

function newEntry(rule: MatrixRule, profile: PackageProfile, archs: readonly Arch[] | undefined): MatrixEntry {
  const missing = DIMENSIONS.filter((key) => !(key in rule));
  if (missing.length > 0) {
    throw inputError(
      'include',
      `${JSON.stringify(rule)} matches no planned combination, and lacks ${missing.join(', ')} to be a new one`,
      'A new combination names python, torch, cuda and platform; an object that extends planned ones names only values they have',
    );
  }
  const { python, torch, cuda, platform } = rule as Record<(typeof DIMENSIONS)[number], string>;
  const release = withInput('include', () => torchRelease(torch));
  const problem = !release.cuda.includes(majorMinor(cuda))
    ? `PyTorch published no CUDA ${cuda} build of torch ${torch} (it published ${release.cuda.join(', ')})`
    : !torchPythons(release).includes(python)
      ? `torch ${torch} does not support Python ${python} (${release.python.min}-${release.python.max})`
      : !isMatrixPlatform(platform)
        ? `"${platform}" is not a platform sagewheels builds for (${MATRIX_PLATFORMS.join(', ')})`
        : cudaProblem(profile, cuda);
  if (problem)
    throw inputError(
      'include',
      `${JSON.stringify(rule)}: ${problem}`,
      'Include only what PyTorch published and the package builds',
    );
  return {
    ...entry(profile, { python, torch, cuda, platform: platform as MatrixPlatform }, archs),
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
