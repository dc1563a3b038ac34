import { runProcess } from '../core/exec';
import { defineStep, type Inputs } from '../core/step';
import { applyEnvChanges } from '../msvc/environment';
import { nodeDirReader } from '../msvc/installs';
import { parseMsvcInputs, setupMsvc, summaryBlocks } from '../msvc/setup';

const msvcOptions = (inputs: Inputs<string>) =>
  parseMsvcInputs({
    arch: inputs.string('arch'),
    vsVersion: inputs.string('vs-version'),
    toolset: inputs.optional('toolset'),
    cudaVersion: inputs.optional('cuda-version'),
    allowUnsupportedCompiler: inputs.boolean('allow-unsupported-compiler'),
  });

export const step = defineStep({
  spec: {
    name: 'setup-msvc',
    title: 'Set up MSVC',
    description:
      "Puts the MSVC compiler environment (vcvarsall.bat) into the job on Windows, with a toolset that the given CUDA version's nvcc accepts. A notice and nothing else on Linux and macOS.",
    inputs: {
      arch: {
        description:
          'vcvarsall architecture, host_target or one for both: x64, x86, arm64, x64_x86, x64_arm64, x86_x64, arm64_x64, ... (amd64 means x64)',
        default: 'x64',
      },
      'vs-version': {
        description:
          'Which Visual Studio when several are installed: latest, a year (2019, 2022, 2026) or a version prefix (17, 17.14, 18)',
        default: 'latest',
      },
      toolset: {
        description:
          'MSVC toolset, 14.NN or 14.NN.BBBBB (a VC\\Tools\\MSVC folder). Default: with cuda-version, the newest installed one its nvcc accepts; without, the Visual Studio default',
      },
      'cuda-version': {
        description:
          'CUDA version (12.8, 12.8.1) whose nvcc will use this MSVC; the toolset is picked from the _MSC_VER range that nvcc accepts',
      },
      'allow-unsupported-compiler': {
        description:
          "When no installed toolset is in nvcc's range, use the newest anyway, with a warning, and add -allow-unsupported-compiler -D_ALLOW_COMPILER_AND_STL_VERSION_MISMATCH to NVCC_APPEND_FLAGS",
        default: 'false',
      },
    },
    outputs: {
      'vs-path': { description: 'Installation folder of the Visual Studio used (empty off Windows)' },
      'toolset-version': { description: 'MSVC toolset set up, e.g. 14.44.35207 (empty off Windows)' },
      'msc-ver': { description: '_MSC_VER of its compiler, e.g. 1944 (empty off Windows)' },
    },
  },
  check: (inputs) => void msvcOptions(inputs),
  async run(inputs, ctx) {
    const options = msvcOptions(inputs);
    if (process.platform !== 'win32') {
      ctx.log.notice(
        `setup-msvc: MSVC is for Windows runners; nothing to do on ${process.platform}, and the environment is unchanged`,
      );
      return { 'vs-path': '', 'toolset-version': '', 'msc-ver': '' };
    }
    const setup = await setupMsvc(options, { runner: runProcess, fs: nodeDirReader, env: process.env }, ctx.log);
    applyEnvChanges(setup.changes, ctx.env);
    ctx.summary.push(...summaryBlocks(setup, options));
    return { 'vs-path': setup.install.path, 'toolset-version': setup.toolsetVersion, 'msc-ver': String(setup.mscVer) };
  },
});
