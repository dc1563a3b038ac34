import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArchList, type Arch } from '../arch/arch';
import { errorMessage, inputError, StepFailed } from '../core/errors';
import { defineStep } from '../core/step';
import { PACKAGE_CHOICES, packageInputDescription, packageProfile } from '../packages/profiles';
import { TORCH_RULES, type TorchRule } from '../python/venv';
import { parseTestVersions } from '../verify/abi';
import { summaryBlocks } from '../verify/report';
import { findWheels, type RuntimeTest } from '../verify/plan';
import { verifyWheels } from '../verify/verify';

function requestedArchs(text: string): Arch[] {
  try {
    return parseArchList(text);
  } catch (error) {
    throw inputError('arch-list', errorMessage(error), 'Give the GPU archs the wheels claim, like 8.0;8.9;9.0;12.0');
  }
}

export const step = defineStep({
  spec: {
    name: 'verify',
    title: 'Verify wheels',
    description:
      'Proves each wheel is whole, carries GPU code for every requested arch in the modules that run there, and imports (and runs, on a GPU) in a fresh venv',
    inputs: {
      package: {
        description: packageInputDescription(
          "What is known of the package: auto (each wheel's, by the project its METADATA names, else generic)",
        ),
        default: 'auto',
        choices: PACKAGE_CHOICES,
      },
      wheels: {
        description:
          "Wheels to verify: a JSON list (build's wheels output), or files, folders and globs like dist/*.whl, one per line",
        required: true,
        kind: 'list',
      },
      'arch-list': {
        description:
          'GPU architectures every wheel must run on, in any spelling (8.0;8.6, 9.0 12.0, sm_90a); 12.0+PTX asks for PTX too',
        required: true,
        kind: 'list',
      },
      python: {
        description:
          "Interpreter path or version (3.12) for the import test; default: each wheel's own Python (cp312: 3.12)",
      },
      torch: {
        description:
          'Torch in the test venv, as build had it: install (torch-version from the index), preinstalled (the interpreter has it), none',
        default: 'install',
        choices: TORCH_RULES,
      },
      'torch-version': {
        description: "Torch version to install; default: the one in the wheel's version (+cu128torch2.7.1)",
      },
      'torch-index-url': {
        description:
          "Index to install torch from (pip's --index-url: https, http or a local file: index); default: https://download.pytorch.org/whl/cu<XY> for the CUDA in the wheel's version",
        kind: 'url',
        schemes: ['https', 'http', 'file'],
      },
      'runtime-test': {
        description:
          'Run the package on the GPU: auto (when torch sees a GPU the wheel has code for), always (fail without one), never. The dispatch check (packages with a dispatcher: sageattention) needs no GPU and runs anyway',
        default: 'auto',
        choices: ['auto', 'always', 'never'],
      },
      'test-pythons': {
        description:
          "Pythons each wheel must also install and import on, each in a fresh venv (3.10,3.11; the matrix job's test-pythons); one this machine lacks is reported as not tested here",
        kind: 'list',
      },
      'test-torches': {
        description:
          "Torches each wheel must also work with (2.10.0,2.11.0; the matrix job's test-torches): each installed with torch: install, with the Python the wheel is tested on (each test-python gets that wheel's torch); with torch: preinstalled only the machine's is tested, the rest reported as not tested here",
        kind: 'list',
      },
    },
    outputs: {
      report: {
        description:
          'Path of the JSON report (schema 1, see docs/steps/verify.md): per wheel, the module x arch table, import, dispatch and runtime results',
      },
      archs: {
        description: 'GPU architectures every wheel runs on (SASS or PTX JIT), ;-separated, like 8.0;8.9;9.0;12.0',
      },
    },
  },
  // arch-list is empty here when build will give it.
  check: (inputs) => {
    if (inputs.string('arch-list')) requestedArchs(inputs.string('arch-list'));
    parseTestVersions('test-pythons', inputs.list('test-pythons'));
    parseTestVersions('test-torches', inputs.list('test-torches'));
  },
  run: async (inputs, ctx) => {
    const input = inputs.string('package');
    const profile = input === 'auto' ? 'auto' : packageProfile(input);
    const requested = requestedArchs(inputs.string('arch-list'));
    const testPythons = parseTestVersions('test-pythons', inputs.list('test-pythons'));
    const testTorches = parseTestVersions('test-torches', inputs.list('test-torches'));
    const wheels = await findWheels(inputs.string('wheels'));
    const work = await mkdtemp(path.join(process.env.RUNNER_TEMP || tmpdir(), 'sagewheels-verify-'));
    const report = await verifyWheels(
      {
        profile,
        wheels,
        requested,
        python: inputs.optional('python'),
        torch: inputs.choice<TorchRule>('torch'),
        torchVersion: inputs.optional('torch-version'),
        torchIndexUrl: inputs.optional('torch-index-url'),
        runtimeTest: inputs.choice<RuntimeTest>('runtime-test'),
        testPythons,
        testTorches,
        workDir: work,
      },
      ctx.log,
    ).catch(async (error: unknown) => {
      // Bad input is refused before any venv exists: leave nothing behind.
      await rm(work, { recursive: true, force: true });
      throw error;
    });
    const file = path.join(work, 'report.json');
    await writeFile(file, JSON.stringify(report, null, 2) + '\n');
    ctx.summary.push({ kind: 'heading', text: 'verify' }, ...summaryBlocks(report));
    const outputs = { report: file, archs: report.archs.join(';') };
    if (!report.passed) {
      const failures = report.wheels.flatMap((w) => w.problems.map((p) => `${w.name}: ${p}`));
      throw new StepFailed(
        failures.length === 1 ? failures[0]! : `${failures.length} problems:\n${failures.join('\n')}`,
        outputs,
      );
    }
    return outputs;
  },
});
