import os from 'node:os';
import { defineStep, type Inputs } from '../core/step';
import { toolkitEnv } from '../cuda/env';
import { runnerPlatform } from '../cuda/platform';
import { checkRequest, METHODS, NVIDIA_REDIST, setupCuda, type Method, type SetupRequest } from '../cuda/setup';

type SetupCudaInputs = Inputs<'cuda-version' | 'method' | 'components' | 'mirror-url' | 'install-dir'>;

const requestOf = (inputs: SetupCudaInputs): SetupRequest => ({
  cudaVersion: inputs.string('cuda-version'),
  method: inputs.choice<Method>('method'),
  components: inputs.list('components'),
  mirrorUrl: inputs.string('mirror-url'),
  installDir: inputs.optional('install-dir'),
  toolCache: process.env.RUNNER_TOOL_CACHE,
  tempDir: process.env.RUNNER_TEMP ?? os.tmpdir(),
  platform: runnerPlatform(),
});

/** Every input checked, nothing requested: for a pipeline that checks all its steps before the first runs. */
export const check = async (inputs: SetupCudaInputs): Promise<void> => void (await checkRequest(requestOf(inputs)));

export const step = defineStep({
  spec: {
    name: 'setup-cuda',
    title: 'Set up the CUDA toolkit',
    description:
      "Puts a CUDA toolkit on the runner: one already there, or just the parts a PyTorch extension build needs from NVIDIA's redistributables, checked and cached.",
    inputs: {
      'cuda-version': {
        description:
          'CUDA version: major.minor (12.8, the newest 12.8.x in the redist tree) or an exact release (12.8.1).',
        required: true,
      },
      method: {
        description:
          "auto: reuse a toolkit of that major.minor already on the runner, else install from the redist tree. existing: only reuse. redist: always the redist tree. installer: NVIDIA's full installer.",
        default: 'auto',
        choices: METHODS,
      },
      components: {
        description:
          'What to install from the redist tree: torch-extension (compiler, and on Windows the cuBLAS, cuSPARSE, cuSOLVER and cuRAND headers that PyTorch includes), compiler (nvcc, cudart, CCCL; crt and nvvm on CUDA 13), full (the whole toolkit), or redist component names; comma-separated, sets and names mix.',
        default: 'torch-extension',
        kind: 'list',
      },
      'mirror-url': {
        description:
          "Base URL of the CUDA redist tree (NVIDIA's, or a mirror of it); installers are looked up beside it.",
        default: NVIDIA_REDIST,
        kind: 'url',
      },
      'install-dir': {
        description:
          "Install into this folder instead of the runner's tool cache: a new or empty folder, or one setup-cuda filled before; anything else is refused, never deleted or overwritten.",
        kind: 'path',
        exists: 'dir-or-absent',
      },
    },
    outputs: {
      'cuda-version': {
        description: "The toolkit release (x.y.z); for a runner toolkit without version.json, nvcc's version.",
      },
      'cuda-path': { description: 'The toolkit root (also exported as CUDA_PATH and CUDA_HOME).' },
      'nvcc-path': { description: 'Path of nvcc; empty when the components include no nvcc.' },
      source: { description: 'existing (already on the runner), cache (installed by an earlier job) or download.' },
      'cache-hit': {
        description: 'true when the toolkit came from the tool cache or install-dir without downloading.',
      },
    },
  },
  check,
  run: async (inputs, ctx) => {
    const platform = runnerPlatform();
    const result = await setupCuda(requestOf(inputs), { log: ctx.log });

    const env = toolkitEnv(result.root, result.majorMinor, platform, process.env);
    for (const [name, value] of Object.entries(env.vars)) ctx.env.set(name, value);
    for (const dir of [...env.paths].reverse()) ctx.env.addPath(dir);

    const components = result.components.map((c) => `${c.name} ${c.version}`).join(', ') || '(not recorded)';
    ctx.summary.push(
      { kind: 'heading', text: 'setup-cuda' },
      {
        kind: 'table',
        header: ['CUDA', result.version],
        rows: [
          ['source', result.method === 'existing' ? 'existing' : `${result.source} (${result.method})`],
          ['path', result.root],
          ['nvcc', result.nvcc || '(none)'],
          ['components', components],
          ['downloaded', `${(result.downloadedBytes / 1e6).toFixed(1)} MB`],
          ['seconds', String(result.seconds)],
        ],
      },
    );
    ctx.log.info(`CUDA ${result.version} at ${result.root} (${result.source}, ${result.seconds} s)`);
    return {
      'cuda-version': result.version,
      'cuda-path': result.root,
      'nvcc-path': result.nvcc,
      source: result.source,
      'cache-hit': String(result.cacheHit),
    };
  },
});
