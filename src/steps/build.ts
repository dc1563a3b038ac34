import { ABI_CHOICES, type AbiChoice, describeAbi } from '../abi/detect';
import path from 'node:path';
import { BuildFailure, type BuildOptions, buildWheel, checkInputs, formatObjectTimes, sizeMiB } from '../builder/build';
import { type CacheStats, describeCacheStats, remoteStores } from '../builder/cache';
import { isGitUrl, localSourceDir, splitSubdirectory } from '../builder/source';
import { collectProblems, refuse } from '../core/check';
import { REPRODUCIBLE_RULES, type ReproducibleRule } from '../builder/reproducible';
import { defineStep, type Inputs } from '../core/step';
import { runProcess } from '../core/exec';
import { formatLaps } from '../core/stopwatch';
import { PACKAGE_CHOICES, packageInputDescription, packageProfile } from '../packages/profiles';
import { TORCH_RULES, type TorchRule } from '../python/venv';
import { describeSource, loadTorchReleases, releasesOptions } from '../torch/load';
import { PYTORCH_INDEX } from '../torch/releases';
import { REPAIR_ENGINES, type RepairEngine } from '../wheel/auditwheel';
import { PLATFORM_TAGS } from '../wheel/manylinux';
import { ENGINE_CHOICES, type EngineChoice, findEngine } from '../container/engine';
import { chooseImage, MANYLINUX_IMAGE } from '../container/image';
import { readContainerOptions } from '../container/run-args';

const cacheCell = (stats: CacheStats | undefined, remote: boolean): string =>
  stats ? describeCacheStats(stats, remote) : 'uncached';

const buildOptions = (inputs: Inputs<string>, releases?: BuildOptions['releases']): BuildOptions => {
  const input = inputs.string('package');
  const mirror = inputs.optional('torch-mirror-url');
  return {
    profile: input === 'auto' ? 'auto' : packageProfile(input),
    source: inputs.optional('source'),
    ref: inputs.optional('ref'),
    subdirectory: inputs.optional('subdirectory'),
    cutlass: inputs.optional('cutlass'),
    python: inputs.string('python'),
    torch: inputs.choice<TorchRule>('torch'),
    torchVersion: inputs.optional('torch-version'),
    torchIndexUrl: inputs.optional('torch-index-url'),
    torchMirrorUrl: mirror === 'snapshot' ? undefined : mirror,
    releases,
    cudaVersion: inputs.optional('cuda-version'),
    archList: inputs.string('arch-list'),
    versionSuffix: inputs.string('version-suffix'),
    abi: inputs.choice<AbiChoice>('abi'),
    jobs: inputs.string('jobs'),
    compileCache: inputs.string('compile-cache'),
    remoteCache: remoteStores(inputs.string('compile-cache-url')),
    reproducible: inputs.choice<ReproducibleRule>('reproducible'),
    sourceDateEpoch: inputs.string('source-date-epoch'),
    outputDir: inputs.string('output-dir'),
    platformTag: inputs.string('platform-tag'),
    repair: inputs.choice<RepairEngine>('repair'),
    container: containerRequest(inputs),
  };
};

const containerRequest = (inputs: Inputs<string>): BuildOptions['container'] => {
  const image = chooseImage(inputs.string('container'));
  return image
    ? {
        image,
        engine: inputs.choice<EngineChoice>('container-engine'),
        extra: readContainerOptions(inputs.optional('container-options') ?? ''),
      }
    : undefined;
};

export const step = defineStep({
  spec: {
    name: 'build',
    title: 'Build',
    description:
      'Build a PyTorch CUDA extension (SageAttention by default) into a wheel labelled with its CUDA and torch, without build isolation, with a compile cache',
    inputs: {
      package: {
        description: packageInputDescription(
          'What is known of the package: auto (recognised from the project name in its setup.py / pyproject.toml, else generic)',
        ),
        default: 'auto',
        choices: PACKAGE_CHOICES,
      },
      source: {
        description:
          "A git URL (pip's git+https://...#subdirectory=sub too), or a path to the package; empty: the package's own repository (sageattention: thu-ml/SageAttention)",
      },
      ref: { description: 'Branch, tag or commit of a git source; empty: its default branch', kind: 'git-ref' },
      subdirectory: {
        description:
          "The folder of the source the package is in (sageattention3_blackwell); empty: the top, or the package's own (sageattn3)",
      },
      cutlass: {
        description:
          "A CUTLASS checkout on the runner, for packages built against it (sageattn3); empty: the source's submodule, else cloned before the build",
        kind: 'path',
        exists: 'dir',
      },
      python: {
        description:
          'An interpreter path, or a version (3.12) found in the runner tool cache, pyenv, py -3.12 or python3.12 on PATH',
        default: '3.12',
      },
      'torch-version': {
        description:
          'The exact torch to build against (2.7.1), checked against what PyTorch published; required with torch: install',
      },
      torch: {
        description:
          'install: torch==torch-version from the CUDA index into the build venv; preinstalled: the torch the interpreter has; none: a package that does not use torch',
        default: 'install',
        choices: TORCH_RULES,
      },
      'torch-index-url': {
        description:
          'Where torch: install gets torch (pip --index-url); empty: <torch-mirror-url>/cu<XY> of the CUDA toolkit',
        kind: 'url',
      },
      'torch-mirror-url': {
        description: `Base URL of a mirror of ${PYTORCH_INDEX}: torch comes from its cu<XY> index and the releases are read from it; empty: PyTorch's own; snapshot: no request, the embedded snapshot`,
        kind: 'url',
        keywords: ['snapshot'],
      },
      'cuda-version': {
        description: 'The CUDA toolkit to build with (12.8); empty: the one CUDA_HOME, CUDA_PATH or PATH has',
      },
      'arch-list': {
        description:
          'GPU archs in any separator ("8.0;8.6;8.9;9.0;12.0", "9.0 12.0", "sm_120a"), or auto: the package\'s archs, else PyTorch\'s for that CUDA',
        default: 'auto',
        kind: 'list',
      },
      'version-suffix': {
        description:
          "The wheel's local version label: auto (+cu128torch2.7.1, +cu130 without torch, +cu130torch2.10.0andhigher for torch's stable ABI), none, or a literal label of at most 64 characters (the wheel's file name must stay under 255 bytes)",
        default: 'auto',
        maxLength: 64,
      },
      abi: {
        description:
          'What one wheel serves: auto (read from the source: Py_LIMITED_API gives a cp310-abi3 wheel for every later CPython, TORCH_STABLE_ONLY a wheel for every later torch, required as torch>=2.10), abi3 or stable (refused if the source cannot), none (torch pinned to the built minor)',
        default: 'auto',
        choices: ABI_CHOICES,
      },
      jobs: {
        description: 'Compiler processes at once: auto (cores, no more than free memory at 4 GiB each) or a number',
        default: 'auto',
      },
      'compile-cache': {
        description: 'ccache folder kept between builds, auto (CCACHE_DIR, else ~/.cache/sagewheels/ccache) or off',
        default: 'auto',
        kind: 'path',
        exists: 'dir-or-absent',
        keywords: ['auto', 'off'],
      },
      'compile-cache-url': {
        description:
          'Remote storage shared by the runners behind the local compile cache (ccache 4.4+): redis://[[USER:]PASSWORD@]HOST[:PORT], http://HOST/PATH (GET and PUT) or file:/shared/folder, several separated by spaces (not commas); a password in it is masked. A store that is down costs a warning, not the build',
        kind: 'urls',
        schemes: ['redis', 'redis+unix', 'http', 'file'],
      },
      reproducible: {
        description:
          "true: byte-reproducible wheels, the same on every machine of an OS (built in /tmp/sagewheels/build, or C:\\sagewheels\\build on Windows; SOURCE_DATE_EPOCH; build paths mapped out of the binaries; a fixed zip; the wheel's .dist-info/sagewheels-build.json records what decided its bytes); false: build as the package says; check: also rebuild once from a fresh copy without the compile cache and fail, naming the first differing file, unless the bytes are the same",
        default: 'true',
        choices: REPRODUCIBLE_RULES,
      },
      'source-date-epoch': {
        description:
          "SOURCE_DATE_EPOCH of a reproducible build: auto (the runner's SOURCE_DATE_EPOCH, else the source's commit time, else 1980-01-01) or seconds since 1970",
        default: 'auto',
      },
      'output-dir': {
        description: 'Where the wheel is written: a folder, made when missing',
        default: 'wheelhouse',
        kind: 'path',
        exists: 'dir-or-absent',
      },
      'platform-tag': {
        description:
          "Linux wheels' platform tag: auto (in a container, the manylinux_2_X of the image's glibc; on the runner, the oldest manylinux_2_X its ELF files' glibc and libstdc++ symbol versions allow; torch's and CUDA's libraries count as torch's), linux (keep linux_*), or a policy such as manylinux_2_28, which fails the step naming the symbol when the wheel cannot honour it",
        default: 'auto',
        choices: PLATFORM_TAGS,
      },
      container: {
        description: `Linux: the image to build in, so the wheel needs no newer glibc than the image has: auto (${MANYLINUX_IMAGE}_<x86_64|aarch64>, glibc 2.28 like PyTorch's wheels), none (on the runner itself, as its glibc allows), or any image name. The source, the build folder, the toolkit (read-only) and the compile cache are mounted at their own paths; python names an interpreter of the image. See docs/containers.md`,
        default: 'auto',
      },
      'container-engine': {
        description:
          'What runs the container: auto (docker, else podman, whichever answers), docker or podman. One that cannot run containers fails the step before anything is downloaded, saying what to fix',
        default: 'auto',
        choices: ENGINE_CHOICES,
      },
      'container-options': {
        description:
          "Extra arguments of the engine's run, separated by spaces (--volume /data:/data:ro, --memory 32g); they come after sagewheels' own, so they win",
      },
      repair: {
        description:
          "Linux wheels: builtin (retag by sagewheels' own check of the ELF files, no network) or auditwheel (auditwheel repair on the runner, excluding libtorch*, libc10*, libcu*, libnv*, libpython*; bundles any other library)",
        default: 'builtin',
        choices: REPAIR_ENGINES,
      },
    },
    outputs: {
      wheels: { description: "JSON list of the built wheels' paths" },
      'wheel-dir': { description: 'The folder the wheels are in' },
      'build-seconds': { description: 'Seconds the build (pip wheel) took' },
      'arch-list': {
        description: 'The TORCH_CUDA_ARCH_LIST the wheel was built with, ;-separated (what auto resolved to)',
      },
      package: { description: 'The package built (what package: auto resolved to)' },
    },
  },
  check: async (inputs) =>
    refuse(
      await collectProblems([
        () => checkInputs(buildOptions(inputs)),
        // A local source must be a folder now: refused before the pipeline's first step, not after setup-cuda.
        async () => {
          const { source } = splitSubdirectory(inputs.string('source'));
          if (source && !isGitUrl(source)) await localSourceDir(source, inputs.optional('ref'));
        },
        // An engine that cannot run is refused before the pipeline's first step (setup-cuda) downloads.
        async () => {
          const request = containerRequest(inputs);
          if (request) await findEngine(request.engine, request.image, process.env, runProcess);
        },
      ]),
    ),
  async run(inputs, ctx) {
    const releasesFrom = releasesOptions(
      { indexUrl: inputs.optional('torch-index-url'), mirrorUrl: inputs.optional('torch-mirror-url') },
      process.env,
      ctx.log,
    );
    let loaded: Awaited<ReturnType<typeof loadTorchReleases>> | undefined;
    const options = buildOptions(inputs, async () => (loaded = await loadTorchReleases(releasesFrom)).releases);
    for (const secret of (options.remoteCache ?? []).flatMap((store) => store.secrets)) ctx.env.secret(secret);
    const profile = options.profile;
    const packageName = profile === 'auto' ? 'auto' : profile.name;
    try {
      const result = await buildWheel(options, ctx.log);
      const seconds = Math.round(result.seconds);
      ctx.summary.push(
        { kind: 'heading', text: `build: ${result.package}` },
        {
          kind: 'table',
          header: ['wheel', 'size', 'seconds', 'compile cache'],
          rows: await Promise.all(
            result.wheels.map(async (wheel) => [
              path.basename(wheel),
              await sizeMiB(wheel),
              String(seconds),
              cacheCell(result.cache, result.remoteCache),
            ]),
          ),
        },
        ...[
          `source ${result.source}`,
          `ABI: ${describeAbi(result.abi)}`,
          `Python ${result.python}, ${result.torch ? `torch ${result.torch.version}` : 'no torch'}, CUDA ${result.cuda}, TORCH_CUDA_ARCH_LIST=${result.archList}`,
          ...(loaded ? [describeSource(loaded.source)] : []),
          `jobs ${result.plan.jobs}, nvcc --split-compile=${result.plan.splitCompile}; compile cache: ${result.cacheNote}`,
          ...(result.epoch
            ? [
                `reproducible: SOURCE_DATE_EPOCH=${result.epoch.epoch} (${result.epoch.from})${result.rebuild ? `; rebuilt from a fresh copy without the compile cache in ${Math.round(result.rebuild.seconds)} s: the same bytes` : ''}`,
              ]
            : []),
          ...(result.slowest.length > 0 ? [`slowest objects: ${formatObjectTimes(result.slowest)}`] : []),
          `time: ${formatLaps(result.phases)}`,
        ].map((text) => ({ kind: 'text' as const, text })),
      );
      return {
        wheels: JSON.stringify(result.wheels),
        'wheel-dir': result.wheelDir,
        'build-seconds': String(seconds),
        'arch-list': result.archList,
        package: result.package,
      };
    } catch (error) {
      if (error instanceof BuildFailure) {
        ctx.summary.push(
          { kind: 'heading', text: `build: ${error.packageName ?? packageName} failed` },
          { kind: 'text', text: error.message },
          { kind: 'details', label: 'End of the build log', body: error.logTail },
        );
      }
      throw error;
    }
  },
});
