import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type AbiChoice, chooseAbi, describeAbi, detectAbi, type SourceAbi } from '../abi/detect';
import { abiVersionSuffix, torchRequirement } from '../abi/promise';
import { formatArchList, parseArchList } from '../arch/arch';
import type { Log } from '../core/context';
import { ConfigurationError, inputError } from '../core/errors';
import { runProcess, type ProcessRunner } from '../core/exec';
import { formatLaps, type Lap, Stopwatch } from '../core/stopwatch';
import { majorMinor } from '../core/version';
import { DEFAULT_PACKAGE, type PackageProfile, profileForSource, resolvePackage } from '../packages/profiles';
import {
  createVenv,
  nvidiaIncludeDirs,
  provideTorch,
  torchImportProblem,
  type TorchInfo,
  type TorchRule,
  venvExecutable,
} from '../python/venv';
import { snapshotReleases } from '../torch/load';
import { torchIndexUrl, type TorchReleases } from '../torch/releases';
import type { RepairEngine } from '../wheel/auditwheel';
import { checkPlatformTagInput } from '../wheel/manylinux';
import { normalizeLocalLabel } from '../wheel/relabel';
import { resolveArchs } from './archs';
import { type ContainerRequest, containerPlace } from '../container/place';
import { type CacheStats, cacheDir, type RemoteStore, readCacheStats, setUpCache } from './cache';
import { raiseSetupPyToCxx20, torchNeedsCxx20 } from './cxx-standard';
import { diagnose, errorLine } from './diagnose';
import { buildEnvironment } from './environment';
import { GIB_PER_JOB, type JobPlan, type Machine, planJobs, thisMachine } from './jobs';
import { type ObjectTime, slowestObjects } from './objects';
import { provideBuildRequirements, readBuildRequirements, readProjectIdentity } from './requirements';
import { packageEnvironment, preparePackage, routedEnvironment } from './package-build';
import { firstDifference, parseEpoch, type ReproducibleRule, sourceDateEpoch } from './reproducible';
import { fetchSource, isGitUrl, splitSubdirectory } from './source';
import { findToolkit } from './toolkit';
import { BuildFailure } from './failure';
import { finishWheels } from './finish';
import { pipWheel } from './pip-wheel';
import {
  bytesDecidingFlags,
  formatProvenance,
  hostCompilerVersion,
  PROVENANCE_FILE,
  type Provenance,
  sourceCommit,
  withoutCredentials,
} from './provenance';
import { checkTorch, checkTorchBuild, checkTorchVersion, matrixPlatformOf } from './torch-release';
import { which } from './which';
import { type BuildPlace, runnerPlace } from './place';
import { inWorkFolder, reproducibleBuildFolder } from './work-folder';

export { BuildFailure };

export interface BuildOptions {
  /** The package, or `auto`: recognised from the source. */
  profile: PackageProfile | 'auto';
  /** A git URL (pip's `#subdirectory=` form too) or a local folder; empty: the package's default source. */
  source?: string;
  ref?: string;
  /** The folder of the source the package is in; empty: the top, or the package's default. */
  subdirectory?: string;
  /** A CUTLASS checkout, for packages that build against it (sageattn3). */
  cutlass?: string;
  /** An interpreter path or a version ("3.12"). */
  python: string;
  torch: TorchRule;
  torchVersion?: string;
  torchIndexUrl?: string;
  /** Base of a mirror of PyTorch's index: torch comes from <mirror>/cu<XY> unless torchIndexUrl is given. */
  torchMirrorUrl?: string;
  /**
   * What PyTorch published, read only once every other input is known good (reading it is a
   * request); default the embedded snapshot.
   */
  releases?: () => Promise<TorchReleases>;
  cudaVersion?: string;
  /** `auto` or a list in any separator. */
  archList: string;
  /** `auto`, `none`, or a literal local label. */
  versionSuffix: string;
  /** What one wheel promises beyond its Python and torch; default auto: what the source builds against. */
  abi?: AbiChoice;
  /** `auto` or a number. */
  jobs: string;
  /** `auto`, `off`, or a folder. */
  compileCache: string;
  /** Linux wheels: `auto` (the oldest manylinux that holds), `linux`, or a manylinux policy. */
  platformTag?: string;
  /** Linux wheels: retag by sagewheels' own check, or `auditwheel repair` (default builtin). */
  repair?: RepairEngine;
  /** ccache remote storage behind the local cache (compile-cache-url). */
  remoteCache?: readonly RemoteStore[];
  /** `true` (default): byte-reproducible flags; `false`: none; `check`: also rebuild once, uncached, and compare. */
  reproducible?: ReproducibleRule;
  /** `auto` (default: the source's commit time) or seconds since 1970. */
  sourceDateEpoch?: string;
  outputDir: string;
  /** The image to build in (Linux), with its engine; undefined: on the runner. */
  container?: ContainerRequest;
  /** The environment the build starts from (default: this process's). */
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  machine?: Machine;
}

export interface BuildResult {
  /** The package built (what `auto` resolved to). */
  package: string;
  /** The ABI the wheel promises (abi3 from a Python, torch's stable ABI from a torch), read from the source. */
  abi: SourceAbi;
  wheels: string[];
  wheelDir: string;
  /** The pip wheel run alone. */
  seconds: number;
  source: string;
  python: string;
  torch?: TorchInfo;
  cuda: string;
  archList: string;
  plan: JobPlan;
  /** undefined when the build was uncached; `cacheNote` says why. */
  cache?: CacheStats;
  /** Remote storage was in use (ccache took it). */
  remoteCache: boolean;
  cacheNote: string;
  /** The slowest objects (ninja builds only), slowest first: the first is the critical path. */
  slowest: ObjectTime[];
  /** SOURCE_DATE_EPOCH the build had, and where it came from; undefined with reproducible: false. */
  epoch?: { epoch: number; from: string };
  /** Seconds each phase took, in order (pip wheel among them). */
  phases: Lap[];
  /** reproducible: check: what the rebuild gave. */
  rebuild?: { identical: boolean; seconds: number };
}

const LOG_TAIL_LINES = 60;
const NO_TOOLKIT = { home: '', nvcc: '', version: '' };

/** The local label the wheel gets, or undefined to leave its version alone. */
function wantedLabel(input: string, cuda: string, torch: TorchInfo | undefined, abi: SourceAbi): string | undefined {
  if (input === 'none') return undefined;
  if (input === 'auto')
    return abiVersionSuffix(torch?.cuda ?? cuda, torch && torch.version.split('+')[0], abi).slice(1);
  return normalizeLocalLabel(input);
}

/** Everything that can be refused without touching the network or the disk: the source, and its folder. */
export function checkInputs(options: BuildOptions): { source: string; ref?: string; subdirectory?: string } {
  const known = options.profile === 'auto' ? DEFAULT_PACKAGE : options.profile;
  const given = splitSubdirectory(options.source ?? '', options.subdirectory);
  const source = given.source || known.defaultSource;
  if (!source)
    throw inputError('source', `is required for package ${known.name}`, 'Give a git URL or a path to the package');
  const subdirectory = given.subdirectory ?? (given.source ? undefined : known.defaultSubdirectory);
  if (
    options.versionSuffix !== 'auto' &&
    options.versionSuffix !== 'none' &&
    !normalizeLocalLabel(options.versionSuffix)
  ) {
    throw inputError(
      'version-suffix',
      `"${options.versionSuffix}" is not a PEP 440 local label`,
      'Allowed: auto, none, or letters and digits separated by ".", e.g. +cu128torch2.7.1',
    );
  }
  if (options.torch === 'install' && known.gpuCode !== false) {
    if (!options.torchVersion)
      throw inputError('torch-version', 'is required when torch is "install"', 'Give the exact version, e.g. 2.7.1');
    if (!/^\d+\.\d+\.\d+$/.test(options.torchVersion)) {
      throw inputError(
        'torch-version',
        `"${options.torchVersion}" is not an exact release`,
        'torch: install takes an exact version like 2.7.1',
      );
    }
  }
  checkPlatformTagInput(options.platformTag ?? 'auto');
  if (options.repair === 'auditwheel' && !which('auditwheel', options.env ?? process.env, options.platform)) {
    throw inputError(
      'repair',
      'is auditwheel, but no auditwheel is on PATH',
      'Install it (pip install auditwheel), or use builtin',
    );
  }
  if (options.compileCache === '') throw inputError('compile-cache', 'is empty', 'Allowed: auto, off, or a folder');
  if (options.sourceDateEpoch && options.sourceDateEpoch !== 'auto') parseEpoch(options.sourceDateEpoch);
  if (options.compileCache === 'off' && options.remoteCache?.length) {
    throw inputError(
      'compile-cache-url',
      'was given with compile-cache: off',
      'Remote storage sits behind the local compile cache: set compile-cache to auto or a folder, or leave compile-cache-url empty',
    );
  }
  // The plan needs the toolkit; the value is checked here, on any machine and nvcc.
  planJobs(options.jobs, { cores: 1, memoryGiB: GIB_PER_JOB }, '0');
  if (options.archList !== 'auto') {
    try {
      parseArchList(options.archList);
    } catch (error) {
      throw error instanceof ConfigurationError ? new ConfigurationError(`arch-list: ${error.message}`) : error;
    }
  }
  return { source, ref: options.ref || (given.source ? undefined : known.defaultRef), subdirectory };
}

/**
 * Builds one wheel of `source` with pip, no build isolation, in a fresh venv and a fresh copy of
 * the source, and relabels it. Bad inputs are refused before anything is fetched or built.
 */
export async function buildWheel(options: BuildOptions, log: Log): Promise<BuildResult> {
  const clock = new Stopwatch();
  const baseEnv = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const pathSep = platform === 'win32' ? ';' : ':';
  const run: ProcessRunner = (command, args, opts = {}) =>
    runProcess(command, args, { ...opts, env: opts.env ?? baseEnv });
  const { source: sourceSpec, ref, subdirectory } = checkInputs(options);
  // With package auto, a default source is the default package; any other is read once it is here.
  const early =
    options.profile !== 'auto' ? options.profile : options.source || subdirectory ? undefined : DEFAULT_PACKAGE;

  // A pure-Python package (Triton kernels) needs no nvcc and no torch to build.
  let pure = early?.gpuCode === false;
  if (pure) log.info(`${early!.name} builds a pure-Python wheel: no CUDA toolkit, no torch, no archs`);
  const toolkit = pure ? NO_TOOLKIT : await findToolkit(options.cudaVersion, baseEnv, platform, run);
  const cuda = pure ? '' : majorMinor(toolkit.version);
  const torchRule: TorchRule = pure ? 'none' : options.torch;
  let archs = pure ? [] : resolveArchs(options.archList, cuda, early);
  const reproducible = options.reproducible ?? 'true';
  const plan = planJobs(options.jobs, options.machine ?? thisMachine(), toolkit.version, reproducible !== 'false');
  const temp = baseEnv.RUNNER_TEMP || os.tmpdir();
  const shared = reproducible === 'false' ? undefined : reproducibleBuildFolder(baseEnv, platform);
  // A container that cannot start fails here, before anything is downloaded.
  await using place = await openPlace(
    options,
    { temp, shared, toolkit: toolkit.home, env: baseEnv, platform, run },
    log,
  );
  // Checked against PyTorch's index once every input that needs no request is known good.
  const releases = torchRule === 'install' ? await (options.releases?.() ?? snapshotReleases()) : undefined;
  if (releases) checkTorchVersion(releases, options.torchVersion!);
  const want = { version: options.torchVersion!, cuda, platform: matrixPlatformOf(platform) };
  // An index of the user's own (torch-index-url) may hold builds PyTorch's does not: pip decides there.
  const checkBuild = releases && !options.torchIndexUrl;
  if (checkBuild) checkTorchBuild(releases, want);
  const base = await place.findPython(options.python);
  if (checkBuild) checkTorchBuild(releases, { ...want, python: base.version });
  log.info(`CUDA ${toolkit.version || 'none'}, Python ${base.version} (${base.executable})`);
  clock.lap('checks');

  const result = await inWorkFolder(shared, temp, log, async (work) => {
    const source = await log.group(`Source ${sourceSpec}${ref ? ` at ${ref}` : ''}`, () =>
      fetchSource(sourceSpec, ref, path.join(work, 'src'), run, subdirectory),
    );
    const profile = early ?? (await resolvePackage('auto', source.dir, log));
    // An ABI the source cannot honour is refused before anything is built.
    const abi = chooseAbi(options.abi ?? 'auto', await detectAbi(source.dir));
    log.info(`ABI: ${describeAbi(abi)}`);
    pure = profile.gpuCode === false;
    if (!early) archs = pure ? [] : resolveArchs(options.archList, cuda, profile);
    if (options.archList === 'auto' && !pure) {
      const sourced = await profileForSource(profile, source.dir);
      if (sourced.note) log.info(sourced.note);
      archs = resolveArchs('auto', cuda, sourced.profile);
    }
    const adjusted = await preparePackage(
      profile,
      { sourceDir: source.dir, archs, auto: options.archList === 'auto', cutlass: options.cutlass, work },
      log,
    );
    archs = adjusted.archs;
    const archList = formatArchList(archs);
    if (archs.length > 0) log.info(`TORCH_CUDA_ARCH_LIST=${archList}`);

    const sourceRoot = isGitUrl(sourceSpec) ? source.dir : path.resolve(sourceSpec);
    const epoch =
      reproducible === 'false'
        ? undefined
        : await sourceDateEpoch(options.sourceDateEpoch ?? 'auto', sourceRoot, baseEnv, run);

    clock.lap('source');
    const venvDir = path.join(work, 'venv');
    // With torch: preinstalled the venv sees the base's packages; their commands (ninja) must be found too.
    const binDirs = [
      path.dirname(venvExecutable(venvDir, platform)),
      ...(torchRule === 'preinstalled' ? [path.dirname(base.executable)] : []),
    ];
    const { python, torch, includeDirs, sitePackages, project } = await log.group(
      `Python ${base.version} venv, torch: ${torchRule}`,
      async () => {
        const venv = await createVenv(base, venvDir, { inherit: torchRule === 'preinstalled', runner: place.run });
        clock.lap('venv');
        const torch = await provideTorch(
          venv.executable,
          torchRule,
          {
            version: options.torchVersion,
            cuda,
            indexUrl: options.torchIndexUrl ?? (options.torchMirrorUrl && torchIndexUrl(cuda, options.torchMirrorUrl)),
          },
          place.run,
        );
        if (torch) log.info(`torch ${torch.version} (CUDA ${torch.cuda ?? 'none'})`);
        checkTorch(torch, options, toolkit.version);
        clock.lap('torch');
        // PyTorch compiles one file at a time without ninja.
        const extra =
          torch && !(await place.which('ninja', { PATH: [...binDirs, place.env.PATH ?? ''].join(pathSep) }))
            ? ['ninja']
            : [];
        await provideBuildRequirements(
          venv.executable,
          await readBuildRequirements(venv.executable, source.dir, extra, place.run),
          log,
          place.run,
        );
        const includeDirs = torch ? await nvidiaIncludeDirs(venv.executable, place.run) : [];
        if (includeDirs.length > 0) log.info(`headers of the venv's nvidia wheels on CPATH: ${includeDirs.join(', ')}`);
        const project = await readProjectIdentity(venv.executable, source.dir, place.run);
        clock.lap('requirements');
        return { python: venv.executable, torch, includeDirs, sitePackages: venv.sitePackages[0]!, project };
      },
    );

    const setupPy = path.join(source.dir, 'setup.py');
    if (torch && profile.cxx20 && torchNeedsCxx20(torch.version) && existsSync(setupPy)) {
      const raised = await raiseSetupPyToCxx20(setupPy);
      if (raised > 0)
        log.info(
          `torch ${torch.version} needs C++20: ${raised} -std=c++17 pins of setup.py raised to c++20 (in the build's copy)`,
        );
    }

    let env = buildEnvironment({
      base: place.env,
      platform,
      cudaHome: toolkit.home,
      binDirs,
      archList,
      plan,
      torchVersion: torch?.version.split('+')[0],
      includeDirs,
      reproducible: epoch && { epoch: epoch.epoch, workRoot: work },
    });
    env = await packageEnvironment(
      adjusted,
      env,
      { sourceDir: source.dir, sitePackages, platform, torchDir: torch?.dir },
      log,
    );
    const { wiring, note } = pure
      ? { wiring: undefined, note: 'off (nothing to compile)' }
      : await setUpCache(options.compileCache, options.remoteCache ?? [], env, work, toolkit.nvcc, platform, place);
    const remoteCache = Boolean(wiring?.remote);
    if (wiring)
      env = { ...env, ...wiring.env, PATH: wiring.binDir ? `${wiring.binDir}${pathSep}${env.PATH}` : env.PATH };
    env = await routedEnvironment(adjusted, env, { sourceDir: source.dir, work, python, nvcc: toolkit.nvcc });
    log.info(
      `jobs ${plan.jobs} (${plan.reason}): MAX_JOBS=${env.MAX_JOBS} EXT_PARALLEL=${env.EXT_PARALLEL}${env.NVCC_APPEND_FLAGS ? ` NVCC_APPEND_FLAGS="${env.NVCC_APPEND_FLAGS}"` : ''}`,
    );
    if (options.compileCache !== 'off' && !wiring) log.warning(`compile cache: ${note}`);
    else if (options.remoteCache?.length && !remoteCache) log.warning(`compile cache: ${note}`);
    else log.info(`compile cache: ${note}`);

    clock.lap('environment');
    const built = path.join(work, 'wheels');
    const pip = await pipWheel(python, source.dir, built, env, archList, log, place.run);
    clock.lap('pip wheel');
    const logTail = pip.lines.slice(-LOG_TAIL_LINES).join('\n');
    const cache = wiring ? await readCacheStats(wiring) : undefined;
    if (cache?.remoteErrors) {
      log.warning(
        `compile-cache-url: remote storage failed for ${cache.remoteErrors} compile${cache.remoteErrors > 1 ? 's' : ''} (${options.remoteCache!.map((s) => s.shown).join(' ')} refused, timed out or failed); they used the local cache`,
      );
    }
    const slowest = await slowestObjects(path.join(source.dir, 'build'));
    if (slowest.length > 0) log.info(`slowest objects: ${formatObjectTimes(slowest)}`);
    if (pip.code !== 0) {
      // torch was taken on its version.py: a torch that cannot be imported is the cause to name.
      const broken = torchRule === 'preinstalled' ? await torchImportProblem(python, place.run) : undefined;
      if (broken) throw broken;
      const text = pip.lines.join('\n');
      const why = diagnose(text) ?? `pip wheel exited with ${pip.code}: ${errorLine(text) ?? 'see the build log'}`;
      throw new BuildFailure(`build failed: ${why}`, logTail, profile.name);
    }

    // A pure-Python wheel is the same for every CUDA and torch.
    const label =
      pure && options.versionSuffix === 'auto' ? undefined : wantedLabel(options.versionSuffix, cuda, torch, abi);
    // The wheel keeps the tags pip gave it (cp310-abi3); the requirement says which torches it serves.
    const requires = torch ? [torchRequirement(torch.version.split('+')[0]!, abi)] : [];
    const outputDir = path.resolve(options.outputDir);
    const provenance = epoch && {
      [PROVENANCE_FILE]: Buffer.from(
        formatProvenance(
          await describeBuild(
            { options, sourceSpec, subdirectory, sourceRoot, work, epoch: epoch.epoch, env },
            run,
            place,
            {
              profile: profile.name,
              torchRule,
              nvcc: toolkit.version,
              python: base.version,
              torch: torch?.version,
              platform,
            },
          ),
        ),
      ),
    };
    const wheels = await finishWheels(
      built,
      outputDir,
      { label, requires, mtime: epoch && new Date(epoch.epoch * 1000), distInfoFiles: provenance },
      { project, platformTag: place.platformTag(options.platformTag ?? 'auto'), repair: options.repair ?? 'builtin' },
      logTail,
      log,
      place.run,
    );
    clock.lap('wheel');
    log.info(`time: ${formatLaps(clock.laps)}`);
    return {
      package: profile.name,
      abi,
      wheels,
      wheelDir: outputDir,
      seconds: pip.seconds,
      source: source.label,
      python: base.version,
      torch,
      cuda: toolkit.version,
      archList,
      plan,
      cache,
      remoteCache,
      cacheNote: note,
      slowest,
      epoch,
      phases: clock.laps,
    };
  });
  // After the first build has left the work folder: the rebuild works in the same one.
  const rebuild = reproducible === 'check' ? await checkReproducible(options, result.wheels, temp, log) : undefined;
  return rebuild ? { ...result, rebuild } : result;
}

/** What decided the wheel's bytes, and the build step's flags that make it again (see provenance.ts). */
async function describeBuild(
  build: {
    options: BuildOptions;
    sourceSpec: string;
    subdirectory?: string;
    sourceRoot: string;
    work: string;
    epoch: number;
    env: NodeJS.ProcessEnv;
  },
  run: ProcessRunner,
  place: BuildPlace,
  facts: {
    profile: string;
    torchRule: TorchRule;
    nvcc: string;
    python: string;
    torch?: string;
    platform: NodeJS.Platform;
  },
): Promise<Provenance> {
  const { options, sourceSpec, subdirectory } = build;
  const url = isGitUrl(sourceSpec) ? withoutCredentials(sourceSpec) : undefined;
  const commit = await sourceCommit(build.sourceRoot, run);
  const flag = (name: string, value: string | undefined) => (value ? [`--${name}`, value] : []);
  return {
    buildFolder: build.work,
    source: { url, commit, subdirectory },
    sourceDateEpoch: build.epoch,
    toolchain: {
      nvcc: facts.nvcc || undefined,
      // The compiler where the build ran: the image's in a container.
      hostCompiler: facts.nvcc ? await hostCompilerVersion(build.env, facts.platform, place.run) : undefined,
      python: facts.python,
      torch: facts.torch,
    },
    flags: bytesDecidingFlags(build.env),
    rebuild: [
      ...flag('package', facts.profile),
      ...flag('source', url),
      // A local folder has no ref: its commit is in `source`, and the rebuild names a checkout of it.
      ...flag('ref', url && commit),
      ...flag('subdirectory', subdirectory),
      ...flag('python', majorMinor(facts.python)),
      ...flag('torch', facts.torchRule),
      ...flag('torch-version', facts.torchRule === 'install' ? options.torchVersion : undefined),
      ...flag('cuda-version', facts.nvcc && majorMinor(facts.nvcc)),
      ...flag('arch-list', options.archList),
      ...flag('version-suffix', options.versionSuffix),
      ...flag('abi', options.abi ?? 'auto'),
      ...flag('platform-tag', options.platformTag ?? 'auto'),
      ...flag('repair', options.repair ?? 'builtin'),
      // The image decides the compiler and glibc the bytes come from.
      ...flag('container', options.container?.image ?? 'none'),
      ...flag('source-date-epoch', String(build.epoch)),
    ],
  };
}

/** Where the build's programs run: a container started now (its mounts known), else the runner. */
async function openPlace(
  options: BuildOptions,
  host: {
    temp: string;
    shared?: string;
    toolkit: string;
    env: NodeJS.ProcessEnv;
    platform: NodeJS.Platform;
    run: ProcessRunner;
  },
  log: Log,
): Promise<BuildPlace & AsyncDisposable> {
  const cache = options.compileCache === 'off' ? undefined : cacheDir(options.compileCache, host.env);
  const place = options.container
    ? await containerPlace(
        options.container,
        {
          temp: host.temp,
          // The reproducible build folder's parent, for its lock beside it.
          work: host.shared && path.dirname(host.shared),
          toolkit: host.toolkit || undefined,
          cache,
          output: path.resolve(options.outputDir),
          readOnly: options.cutlass ? [path.resolve(options.cutlass)] : [],
        },
        host.env,
        host.run,
        log,
      )
    : runnerPlace(host.run, host.env, host.platform);
  return { ...place, [Symbol.asyncDispose]: () => place.close() };
}

/**
 * reproducible: check. The same build again from a fresh copy of the source, with no compile cache
 * (a hit would only return the first build's objects), compared byte for byte; a difference fails
 * the build naming the first file that differs.
 */
async function checkReproducible(
  options: BuildOptions,
  wheels: readonly string[],
  temp: string,
  log: Log,
): Promise<{ identical: boolean; seconds: number }> {
  const outputDir = await mkdtemp(path.join(temp, 'sagewheels-rebuild-'));
  try {
    const again = await log.group('Rebuild from a fresh copy, uncached, to compare', () =>
      buildWheel({ ...options, reproducible: 'true', compileCache: 'off', remoteCache: [], outputDir }, log),
    );
    for (const wheel of wheels) {
      const twin = again.wheels.find((w) => path.basename(w) === path.basename(wheel));
      const why = twin ? await firstDifference(wheel, twin) : 'the rebuild made no wheel of that name';
      if (why) {
        throw new BuildFailure(
          `reproducible: ${path.basename(wheel)} is not the same when rebuilt: ${why}. See docs/reproducible.md for what decides the bytes`,
          '',
        );
      }
    }
    log.info(`reproducible: the rebuild gave the same bytes (${wheels.map((w) => path.basename(w)).join(', ')})`);
    return { identical: true, seconds: again.seconds };
  } finally {
    await rm(outputDir, { recursive: true, force: true });
  }
}

export const formatObjectTimes = (times: readonly ObjectTime[]): string =>
  times.map((t) => `${t.object} ${t.seconds.toFixed(0)} s`).join(', ');

/** Size of a file in MiB with one decimal, for the summary. */
export async function sizeMiB(file: string): Promise<string> {
  return `${((await stat(file)).size / 2 ** 20).toFixed(1)} MiB`;
}
