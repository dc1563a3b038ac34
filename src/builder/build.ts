import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { formatArchList } from '../arch/arch';
import type { Log } from '../core/context';
import { ConfigurationError, inputError } from '../core/errors';
import { runProcess, type ProcessRunner } from '../core/exec';
import { majorMinor } from '../core/version';
import type { PackageProfile } from '../packages/profiles';
import { findPython } from '../python/interpreter';
import {
  createVenv,
  nvidiaIncludeDirs,
  provideTorch,
  type TorchInfo,
  type TorchRule,
  venvExecutable,
} from '../python/venv';
import { torchRelease, torchSupportsPython, versionSuffix } from '../torch/releases';
import { normalizeLocalLabel, relabelWheel } from '../wheel/relabel';
import { resolveArchs } from './archs';
import {
  type CacheStats,
  type CacheWiring,
  type RemoteStore,
  cacheDir,
  findCcache,
  readCacheStats,
  wireCcache,
} from './cache';
import { diagnose, errorLine } from './diagnose';
import { buildEnvironment } from './environment';
import { type JobPlan, type Machine, planJobs, thisMachine } from './jobs';
import { type ObjectTime, slowestObjects } from './objects';
import { provideBuildRequirements, readBuildRequirements } from './requirements';
import { archMixProblem } from './sageattention';
import { firstDifference, parseEpoch, type ReproducibleRule, sourceDateEpoch } from './reproducible';
import { fetchSource, isGitUrl } from './source';
import { findToolkit } from './toolkit';
import { which } from './which';

export interface BuildOptions {
  profile: PackageProfile;
  /** A git URL or a local folder; empty: the package's default source. */
  source?: string;
  ref?: string;
  /** An interpreter path or a version ("3.12"). */
  python: string;
  torch: TorchRule;
  torchVersion?: string;
  torchIndexUrl?: string;
  cudaVersion?: string;
  /** `auto` or a list in any separator. */
  archList: string;
  /** `auto`, `none`, or a literal local label. */
  versionSuffix: string;
  /** `auto` or a number. */
  jobs: string;
  /** `auto`, `off`, or a folder. */
  compileCache: string;
  /** ccache remote storage behind the local cache (compile-cache-url). */
  remoteCache?: readonly RemoteStore[];
  /** `true` (default): byte-reproducible flags; `false`: none; `check`: also rebuild once, uncached, and compare. */
  reproducible?: ReproducibleRule;
  /** `auto` (default: the source's commit time) or seconds since 1970. */
  sourceDateEpoch?: string;
  outputDir: string;
  /** The environment the build starts from (default: this process's). */
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  machine?: Machine;
}

export interface BuildResult {
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
  /** reproducible: check: what the rebuild gave. */
  rebuild?: { identical: boolean; seconds: number };
}

/** A build that ran and failed: one line of cause and remedy, and the end of the log. */
export class BuildFailure extends Error {
  override name = 'BuildFailure';
  constructor(
    message: string,
    readonly logTail: string,
  ) {
    super(message);
  }
}

const LOG_TAIL_LINES = 60;

/** The local label the wheel gets, or undefined to leave its version alone. */
function wantedLabel(input: string, cuda: string, torch: TorchInfo | undefined): string | undefined {
  if (input === 'none') return undefined;
  if (input === 'auto') return versionSuffix(torch?.cuda ?? cuda, torch && torch.version.split('+')[0]).slice(1);
  return normalizeLocalLabel(input);
}

/** The torch minor a wheel was built against, as a requirement: 2.7.1 -> "torch>=2.7,<2.8". */
export function torchPin(torchVersion: string): string {
  const [major, minor] = torchVersion.split('+')[0]!.split('.').map(Number) as [number, number];
  return `torch>=${major}.${minor},<${major}.${minor + 1}`;
}

/** Everything that can be refused without touching the network or the disk. */
function checkInputs(options: BuildOptions): string {
  const source = options.source || options.profile.defaultSource;
  if (!source) throw inputError('source', 'is required for package generic', 'Give a git URL or a path to the package');
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
  if (options.torch === 'install') {
    if (!options.torchVersion)
      throw inputError('torch-version', 'is required when torch is "install"', 'Give the exact version, e.g. 2.7.1');
    if (!/^\d+\.\d+\.\d+$/.test(options.torchVersion)) {
      throw inputError(
        'torch-version',
        `"${options.torchVersion}" is not an exact release`,
        'torch: install takes an exact version like 2.7.1',
      );
    }
    try {
      torchRelease(options.torchVersion);
    } catch (error) {
      throw error instanceof ConfigurationError ? new ConfigurationError(`torch-version: ${error.message}`) : error;
    }
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
  return source;
}

/**
 * Builds one wheel of `source` with pip, no build isolation, in a fresh venv and a fresh copy of
 * the source, and relabels it. Bad inputs are refused before anything is fetched or built.
 */
export async function buildWheel(options: BuildOptions, log: Log): Promise<BuildResult> {
  const baseEnv = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const pathSep = platform === 'win32' ? ';' : ':';
  const run: ProcessRunner = (command, args, opts = {}) =>
    runProcess(command, args, { ...opts, env: opts.env ?? baseEnv });
  const sourceSpec = checkInputs(options);

  const toolkit = await findToolkit(options.cudaVersion, baseEnv, platform, run);
  const cuda = majorMinor(toolkit.version);
  const archs = resolveArchs(options.archList, cuda, options.profile);
  const archList = formatArchList(archs);
  const plan = planJobs(options.jobs, options.machine ?? thisMachine(), toolkit.version);
  if (
    options.torch === 'install' &&
    !options.torchIndexUrl &&
    !torchRelease(options.torchVersion!).cuda.includes(cuda)
  ) {
    const release = torchRelease(options.torchVersion!);
    throw inputError(
      'torch-version',
      `torch ${options.torchVersion} has no CUDA ${cuda} build`,
      `It is built for CUDA ${release.cuda.join(', ')}; pick another cuda-version or torch-version`,
    );
  }
  const base = await findPython(options.python, run, baseEnv);
  if (options.torch === 'install' && !torchSupportsPython(torchRelease(options.torchVersion!), base.version)) {
    const { python } = torchRelease(options.torchVersion!);
    throw inputError(
      'python',
      `torch ${options.torchVersion} has no wheels for Python ${base.version}`,
      `It supports Python ${python.min}-${python.max}`,
    );
  }
  log.info(
    `CUDA ${toolkit.version} (${toolkit.home}), Python ${base.version} (${base.executable}), TORCH_CUDA_ARCH_LIST=${archList}`,
  );

  const work = await mkdtemp(path.join(baseEnv.RUNNER_TEMP || os.tmpdir(), 'sagewheels-build-'));
  try {
    const source = await log.group(`Source ${sourceSpec}${options.ref ? ` at ${options.ref}` : ''}`, () =>
      fetchSource(sourceSpec, options.ref, path.join(work, 'src'), run),
    );
    const setupPy = path.join(source.dir, 'setup.py');
    if (options.profile.name === 'sageattention' && existsSync(setupPy)) {
      const problem = archMixProblem(await readFile(setupPy, 'utf8'), archs);
      if (problem) throw new ConfigurationError(problem);
    }

    const reproducible = options.reproducible ?? 'true';
    const epoch =
      reproducible === 'false'
        ? undefined
        : await sourceDateEpoch(
            options.sourceDateEpoch ?? 'auto',
            isGitUrl(sourceSpec) ? source.dir : path.resolve(sourceSpec),
            baseEnv,
            run,
          );

    const venvDir = path.join(work, 'venv');
    // With torch: preinstalled the venv sees the base's packages; their commands (ninja) must be found too.
    const binDirs = [
      path.dirname(venvExecutable(venvDir, platform)),
      ...(options.torch === 'preinstalled' ? [path.dirname(base.executable)] : []),
    ];
    const { python, torch, includeDirs } = await log.group(
      `Python ${base.version} venv, torch: ${options.torch}`,
      async () => {
        const venv = await createVenv(base, venvDir, { inherit: options.torch === 'preinstalled', runner: run });
        const torch = await provideTorch(
          venv.executable,
          options.torch,
          { version: options.torchVersion, cuda, indexUrl: options.torchIndexUrl },
          run,
        );
        if (torch) log.info(`torch ${torch.version} (CUDA ${torch.cuda ?? 'none'})`);
        checkTorch(torch, options, toolkit.version);
        // PyTorch compiles one file at a time without ninja.
        const extra =
          torch && !which('ninja', { PATH: [...binDirs, baseEnv.PATH ?? ''].join(pathSep) }, platform) ? ['ninja'] : [];
        await provideBuildRequirements(
          venv.executable,
          await readBuildRequirements(venv.executable, source.dir, extra, run),
          log,
          run,
        );
        const includeDirs = torch ? await nvidiaIncludeDirs(venv.executable, run) : [];
        if (includeDirs.length > 0) log.info(`headers of the venv's nvidia wheels on CPATH: ${includeDirs.join(', ')}`);
        return { python: venv.executable, torch, includeDirs };
      },
    );

    let env = buildEnvironment({
      base: baseEnv,
      platform,
      cudaHome: toolkit.home,
      binDirs,
      archList,
      plan,
      torchVersion: torch?.version.split('+')[0],
      includeDirs,
      reproducible: epoch && { epoch: epoch.epoch, workRoot: work },
    });
    const { wiring, note } = await setUpCache(
      options.compileCache,
      options.remoteCache ?? [],
      env,
      work,
      toolkit.nvcc,
      platform,
      run,
    );
    const remoteCache = Boolean(wiring?.remote);
    if (wiring)
      env = { ...env, ...wiring.env, PATH: wiring.binDir ? `${wiring.binDir}${pathSep}${env.PATH}` : env.PATH };
    log.info(
      `jobs ${plan.jobs} (${plan.reason}): MAX_JOBS=${env.MAX_JOBS} EXT_PARALLEL=${env.EXT_PARALLEL}${env.NVCC_APPEND_FLAGS ? ` NVCC_APPEND_FLAGS="${env.NVCC_APPEND_FLAGS}"` : ''}`,
    );
    if (options.compileCache !== 'off' && !wiring) log.warning(`compile cache: ${note}`);
    else if (options.remoteCache?.length && !remoteCache) log.warning(`compile cache: ${note}`);
    else log.info(`compile cache: ${note}`);

    const built = path.join(work, 'wheels');
    await mkdir(built);
    const args = [
      '-m',
      'pip',
      'wheel',
      '--no-build-isolation',
      '--no-deps',
      '--verbose',
      '--wheel-dir',
      built,
      source.dir,
    ];
    const lines: string[] = [];
    const started = Date.now();
    const result = await log.group(`Build log: pip wheel --no-build-isolation (${archList})`, () =>
      runProcess(python, args, {
        cwd: source.dir,
        env,
        onLine: (line) => {
          lines.push(line);
          log.info(line);
        },
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    const cache = wiring ? await readCacheStats(wiring) : undefined;
    if (cache?.remoteErrors) {
      log.warning(
        `compile-cache-url: remote storage failed for ${cache.remoteErrors} compile${cache.remoteErrors > 1 ? 's' : ''} (${options.remoteCache!.map((s) => s.shown).join(' ')} refused, timed out or failed); they used the local cache`,
      );
    }
    const slowest = await slowestObjects(path.join(source.dir, 'build'));
    if (slowest.length > 0) log.info(`slowest objects: ${formatObjectTimes(slowest)}`);
    if (result.code !== 0) {
      const text = lines.join('\n');
      const tail = lines.slice(-LOG_TAIL_LINES).join('\n');
      const why = diagnose(text) ?? `pip wheel exited with ${result.code}: ${errorLine(text) ?? 'see the build log'}`;
      throw new BuildFailure(`build failed: ${why}`, tail);
    }

    const label = wantedLabel(options.versionSuffix, cuda, torch);
    const requires = torch ? [torchPin(torch.version)] : [];
    const outputDir = path.resolve(options.outputDir);
    await mkdir(outputDir, { recursive: true });
    const wheels: string[] = [];
    const mtime = epoch && new Date(epoch.epoch * 1000);
    for (const file of (await readdir(built)).filter((name) => name.endsWith('.whl'))) {
      wheels.push(await relabelWheel(path.join(built, file), { label, requires, mtime }, outputDir));
    }
    if (wheels.length === 0) throw new Error(`pip wheel succeeded but left no wheel in ${built}`);
    const rebuild = reproducible === 'check' ? await checkReproducible(options, wheels, work, log) : undefined;
    return {
      wheels,
      wheelDir: outputDir,
      seconds,
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
      rebuild,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * reproducible: check. The same build again in another folder, with no compile cache (a hit would
 * only return the first build's objects), compared byte for byte; a difference fails the build
 * naming the first file that differs.
 */
async function checkReproducible(
  options: BuildOptions,
  wheels: readonly string[],
  work: string,
  log: Log,
): Promise<{ identical: boolean; seconds: number }> {
  const again = await log.group('Rebuild in another folder, uncached, to compare', () =>
    buildWheel(
      {
        ...options,
        reproducible: 'true',
        compileCache: 'off',
        remoteCache: [],
        outputDir: path.join(work, 'rebuild'),
      },
      log,
    ),
  );
  for (const wheel of wheels) {
    const twin = again.wheels.find((w) => path.basename(w) === path.basename(wheel));
    const why = twin ? await firstDifference(wheel, twin) : 'the rebuild made no wheel of that name';
    if (why) {
      throw new BuildFailure(
        `reproducible: ${path.basename(wheel)} is not the same when rebuilt in another folder: ${why}. See docs/benchmarks.md (reproducible builds) for known causes`,
        '',
      );
    }
  }
  log.info(`reproducible: the rebuild gave the same bytes (${wheels.map((w) => path.basename(w)).join(', ')})`);
  return { identical: true, seconds: again.seconds };
}

/** torch must be a CUDA build of the toolkit's major: PyTorch refuses to build extensions across majors. */
function checkTorch(torch: TorchInfo | undefined, options: BuildOptions, nvcc: string): void {
  if (!torch) return;
  if (!torch.cuda) {
    throw inputError(
      'torch',
      `torch ${torch.version} is a CPU build`,
      'CUDA extensions need a CUDA build of torch (torch: install takes it from the CUDA index)',
    );
  }
  if (torch.cuda.split('.')[0] !== nvcc.split('.')[0]) {
    throw inputError(
      'cuda-version',
      `torch ${torch.version} was built with CUDA ${torch.cuda}, but nvcc is CUDA ${nvcc}`,
      `PyTorch refuses to build extensions across CUDA major versions: set up CUDA ${torch.cuda.split('.')[0]}.x, or use torch built for CUDA ${nvcc.split('.')[0]}`,
    );
  }
  if (
    options.torch === 'preinstalled' &&
    options.torchVersion &&
    torch.version.split('+')[0] !== options.torchVersion
  ) {
    throw inputError(
      'torch-version',
      `"${options.torchVersion}" was asked, but the interpreter has torch ${torch.version}`,
      'Leave torch-version empty with torch: preinstalled, or use torch: install',
    );
  }
}

async function setUpCache(
  input: string,
  remote: readonly RemoteStore[],
  env: NodeJS.ProcessEnv,
  work: string,
  nvcc: string,
  platform: NodeJS.Platform,
  run: ProcessRunner,
): Promise<{ wiring?: CacheWiring; note: string }> {
  if (input === 'off') return { note: 'off (compile-cache: off)' };
  const ccache = await findCcache(env, run);
  if (typeof ccache === 'string')
    return { note: `uncached: ${ccache}. Install ccache 4+ on the runner to cache compiles between builds` };
  const dir = cacheDir(input, env);
  await mkdir(dir, { recursive: true });
  const wiring = await wireCcache(ccache, { dir, workRoot: work, nvcc, buildEnv: env, platform, remote }, run);
  return { wiring, note: `ccache ${ccache.version} in ${dir}: ${wiring.notes.join('; ')}` };
}

export const formatObjectTimes = (times: readonly ObjectTime[]): string =>
  times.map((t) => `${t.object} ${t.seconds.toFixed(0)} s`).join(', ');

/** Size of a file in MiB with one decimal, for the summary. */
export async function sizeMiB(file: string): Promise<string> {
  return `${((await stat(file)).size / 2 ** 20).toFixed(1)} MiB`;
}
