import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summaryMarkdown } from '../../src/core/summary';
import { findPython, type PythonInfo } from '../../src/python/interpreter';
import { createVenv } from '../../src/python/venv';
import { parseArchList } from '../../src/arch/arch';
import { runProcess, type ProcessRunner } from '../../src/core/exec';
import { PROFILES } from '../../src/packages/profiles';
import { prepareEnvironment, runProbe } from '../../src/verify/environment';
import { DISPATCH_PROBE, RESULT_MARKER, RUNTIME_PROBE } from '../../src/verify/probes';
import { summaryBlocks } from '../../src/verify/report';
import { judgeRuntime, verifyWheels } from '../../src/verify/verify';
import type { DispatchReport } from '../../src/verify/report';
import { recordingContext } from '../helpers/context';
import { buildFixtureWheel, FIXTURES, removeScratch, runVerifyStep, scratch } from './fixtures';

/*
 * A stand-in for SageAttention (test/fixtures/verify/sageattention): the same modules, the same
 * dispatch on torch.cuda.get_device_capability(), real nvcc code in each module; and a stand-in
 * torch (a CUDA build on a machine without a GPU) preinstalled in the interpreter verify uses.
 */
let base: PythonInfo;
let full: string; // 8.0;8.9;9.0;12.0
let without120: string; // 8.0;8.9;9.0

beforeAll(async () => {
  const dir = await scratch('standin');
  base = await createVenv(await findPython('3.12'), path.join(dir, 'torch-venv'));
  await cp(path.join(FIXTURES, 'verify', 'stubtorch', 'torch'), path.join(base.sitePackages[0]!, 'torch'), {
    recursive: true,
  });
  full = await buildFixtureWheel(path.join(FIXTURES, 'verify', 'sageattention'), '8.0;8.9;9.0;12.0');
  without120 = await buildFixtureWheel(path.join(FIXTURES, 'verify', 'sageattention'), '8.0 8.9 9.0');
}, 600_000);
afterAll(removeScratch);

const verify = (wheels: string, raw: Record<string, string> = {}) =>
  runVerifyStep({ wheels, 'arch-list': '8.0;8.9;9.0;12.0', python: base.executable, torch: 'preinstalled', ...raw });

describe('verify step on a SageAttention stand-in (torch preinstalled, no GPU)', () => {
  it('passes the wheel with 12.0: each GPU dispatches to modules that carry its code', async () => {
    const { error, report, outputs, ctx } = await verify(full);
    expect(error).toBeUndefined();
    expect(outputs.archs).toBe('8.0;8.6;8.9;9.0;12.0');
    const wheel = report.wheels[0]!;
    expect(wheel.modules.map((m) => [m.module, m.code.join(' ')])).toEqual([
      ['sageattention._fused', 'sm_80 sm_89 sm_90a sm_120a'],
      ['sageattention._qattn_sm80', 'sm_80'],
      ['sageattention._qattn_sm89', 'sm_89 sm_120a'],
      ['sageattention._qattn_sm90', 'sm_90a'],
    ]);
    // Only the modules sageattn loads on a GPU must serve it.
    expect(wheel.modules[3]!.archs).toEqual({
      '8.0': { served: 'missing', required: false },
      '8.9': { served: 'missing', required: false },
      '9.0': { served: 'sass', required: true },
      '12.0': { served: 'missing', required: false },
    });
    expect(wheel.import).toMatchObject({ status: 'passed', torch: '2.11.0+stub' });
    expect(wheel.dispatch).toEqual([
      {
        capability: '8.0',
        passed: true,
        function: 'sageattn_qk_int8_pv_fp16_cuda',
        modules: ['sageattention._fused', 'sageattention._qattn_sm80'],
      },
      {
        capability: '8.9',
        passed: true,
        function: 'sageattn_qk_int8_pv_fp8_cuda',
        modules: ['sageattention._fused', 'sageattention._qattn_sm89'],
      },
      {
        capability: '9.0',
        passed: true,
        function: 'sageattn_qk_int8_pv_fp8_cuda_sm90',
        modules: ['sageattention._fused', 'sageattention._qattn_sm90'],
      },
      {
        capability: '12.0',
        passed: true,
        function: 'sageattn_qk_int8_pv_fp8_cuda',
        modules: ['sageattention._fused', 'sageattention._qattn_sm89'],
      },
    ]);
    expect(wheel.runtime).toEqual({ status: 'skipped', reason: 'torch sees no GPU' });
    const summary = summaryMarkdown(ctx.summary);
    expect(summary).toContain('| sageattention._qattn_sm90 | – | – | SASS | – | sm_90a |');
    expect(summary).toContain(
      '| dispatch on 12.0 | ✅ sageattn_qk_int8_pv_fp8_cuda -> sageattention._fused, sageattention._qattn_sm89 |',
    );
  });

  it('fails the wheel built without 12.0: the sm_120 path loads modules without sm_120 code', async () => {
    const { error, report } = await verify(without120);
    const wheel = report.wheels[0]!;
    expect(wheel.dispatch.find((d) => d.capability === '12.0')).toEqual({
      capability: '12.0',
      passed: false,
      function: 'sageattn_qk_int8_pv_fp8_cuda',
      modules: ['sageattention._fused', 'sageattention._qattn_sm89'],
    });
    expect(wheel.problems).toEqual([
      'sageattention._fused has no GPU code for 12.0 (it carries sm_80, sm_89, sm_90a)',
      'sageattention._qattn_sm89 has no GPU code for 12.0 (it carries sm_89)',
      'with compute capability 12.0, sageattn picks sageattn_qk_int8_pv_fp8_cuda, which loads sageattention._fused, sageattention._qattn_sm89 without GPU code for 12.0',
    ]);
    expect(error?.message).toMatch(
      /^3 problems:\nsageattention-0\.0\.1-cp312-cp312-linux_x86_64\.whl: sageattention\._fused has no GPU code for 12\.0/,
    );
  });

  it('fails runtime-test always on a machine without a GPU', async () => {
    const { report } = await verify(full, { 'arch-list': '9.0', 'runtime-test': 'always' });
    expect(report.wheels[0]!.runtime).toEqual({ status: 'failed', error: 'torch sees no GPU' });
    expect(report.wheels[0]!.problems).toEqual(['runtime-test is always, and torch sees no GPU']);
  });
});

describe('the dispatch probe', () => {
  it('follows a dispatcher that reads the capability at call time and routes 12.0 elsewhere', async () => {
    const dir = await scratch('probe');
    const env = await prepareEnvironment(base, full, { rule: 'preinstalled', cuda: '' }, dir);
    const core = path.join(env.python.sitePackages[0]!, 'sageattention', 'core.py');
    // As thu-ml's sageattn does: ask torch on every call; and send sm120 down the sm90 path.
    const source = (await readFile(core, 'utf8'))
      .replace('arch = _cuda_archs[q.device.index]', 'arch = get_cuda_arch_versions()[q.device.index]')
      .replace('elif arch == "sm90":', 'elif arch in {"sm90", "sm120"}:');
    await writeFile(core, source);
    const results = await runProbe<DispatchReport[]>(env, DISPATCH_PROBE, [
      'sageattention',
      'sageattn',
      JSON.stringify([
        [12, 0],
        [7, 5],
      ]),
    ]);
    expect(results).toEqual([
      {
        capability: '12.0',
        function: 'sageattn_qk_int8_pv_fp8_cuda_sm90',
        modules: ['sageattention._fused', 'sageattention._qattn_sm90'],
      },
      { capability: '7.5', error: 'ValueError: Unsupported CUDA architecture: sm75' },
    ]);
  });
});

describe('the runtime test, judged', () => {
  const gpu = { gpu: 'NVIDIA H200', capability: '9.0' };

  // No GPU here: the runtime probe's answer is what a GPU machine prints; the rest is real.
  const onGpu = async (answer: object) => {
    const runner: ProcessRunner = (command, args, options) =>
      args.includes(RUNTIME_PROBE)
        ? Promise.resolve({ code: 0, stdout: `${RESULT_MARKER}${JSON.stringify(answer)}\n`, stderr: '' })
        : runProcess(command, args, options);
    const options = {
      profile: PROFILES.sageattention,
      wheels: [full],
      requested: parseArchList('9.0'),
      python: base.executable,
      runner,
    };
    const workDir = await scratch('judge');
    return verifyWheels({ ...options, torch: 'preinstalled', runtimeTest: 'always', workDir }, recordingContext().log);
  };

  it('reports a run on the GPU in the wheel report and the summary', async () => {
    const report = await onGpu({ ...gpu, cosine: 0.9993, finite: true });
    expect(report.wheels[0]!.runtime).toEqual({ status: 'passed', ...gpu, cosine: 0.9993 });
    expect(summaryMarkdown(summaryBlocks(report))).toContain(
      '| runtime | ✅ NVIDIA H200 (9.0), cosine 0.9993 against SDPA |',
    );
  });

  it('does not run on a GPU the wheel has no code for, and fails there when runtime-test is always', async () => {
    const report = await onGpu({ gpu: 'Tesla T4', capability: '7.5' });
    expect(report.wheels[0]!.runtime).toEqual({
      status: 'failed',
      gpu: 'Tesla T4',
      capability: '7.5',
      error: 'the wheel has no code for this GPU (Tesla T4, 7.5)',
    });
    expect(report.wheels[0]!.problems).toEqual([
      'runtime-test is always, and the wheel has no code for this GPU (Tesla T4, 7.5)',
    ]);
  });

  it('fails sageattn below cosine 0.99, with non-finite output, or when it raises', () => {
    expect(
      judgeRuntime({ ...gpu, cosine: 0.9993, finite: true }, PROFILES.sageattention.runtime).failure,
    ).toBeUndefined();
    expect(judgeRuntime({ ...gpu, cosine: 0.42, finite: true }, PROFILES.sageattention.runtime)).toEqual({
      runtime: { status: 'failed', ...gpu, cosine: 0.42, error: undefined },
      failure: 'sageattn on NVIDIA H200 matches PyTorch SDPA with cosine similarity 0.4200 (needs >= 0.99)',
    });
    expect(judgeRuntime({ ...gpu, cosine: 0.999, finite: false }, PROFILES.sageattention.runtime).failure).toBe(
      'sageattn on NVIDIA H200 matches PyTorch SDPA with cosine similarity 0.9990 (needs >= 0.99; its output is not finite)',
    );
    expect(
      judgeRuntime({ ...gpu, cosine: Number.NaN, finite: true }, PROFILES.sageattention.runtime).runtime.status,
    ).toBe('failed');
    const error = 'RuntimeError: CUDA error: no kernel image is available for execution on the device';
    expect(judgeRuntime({ ...gpu, error }, PROFILES.sageattention.runtime).failure).toBe(
      `sageattn failed on NVIDIA H200: ${error}`,
    );
    // A generic package only reports the GPU.
    expect(judgeRuntime(gpu)).toEqual({
      runtime: { status: 'passed', ...gpu, cosine: undefined, error: undefined },
      failure: undefined,
    });
  });
});
