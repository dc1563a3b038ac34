import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPython, type PythonInfo } from '../../src/python/interpreter';
import { createVenv } from '../../src/python/venv';
import { buildFixtureWheel, FIXTURES, removeScratch, runVerifyStep, scratch } from './fixtures';

/*
 * woct0rdho's abi3 branch reaches its kernels through torch.ops: sm90_compile.py has
 * `from . import _qattn_sm90` then `_qattn_sm90 = torch.ops.sageattention_qattn_sm90`, and the
 * extension module registers that namespace when it is loaded. The stand-in SageAttention, so
 * rewritten and built with STANDIN_TORCH_OPS (each module registers torch.ops.sageattention<module>
 * with the stand-in torch as it loads), must verify, each namespace traced to its module.
 */
let base: PythonInfo;
let ops: string; // modules register their namespaces
let orphan: string; // the Python reaches namespaces that no module registers

async function abi3Source(): Promise<string> {
  const dir = path.join(await scratch('abi3'), 'sageattention');
  await cp(path.join(FIXTURES, 'verify', 'sageattention'), dir, { recursive: true });
  for (const [file, leaf] of [
    ['sm80_compile.py', '_qattn_sm80'],
    ['sm89_compile.py', '_qattn_sm89'],
    ['sm90_compile.py', '_qattn_sm90'],
    ['quant.py', '_fused'],
  ] as const) {
    const full = path.join(dir, 'sageattention', file);
    const text = await readFile(full, 'utf8');
    const line = `from . import ${leaf}\n`;
    expect(text).toContain(line);
    await writeFile(full, text.replace(line, `import torch\n${line}${leaf} = torch.ops.sageattention${leaf}\n`));
  }
  return dir;
}

beforeAll(async () => {
  const dir = await scratch('ops-torch');
  base = await createVenv(await findPython('3.12'), path.join(dir, 'torch-venv'));
  await cp(path.join(FIXTURES, 'verify', 'stubtorch', 'torch'), path.join(base.sitePackages[0]!, 'torch'), {
    recursive: true,
  });
  const source = await abi3Source();
  ops = await buildFixtureWheel(source, '8.0;8.9;9.0;12.0', { STANDIN_TORCH_OPS: '1' });
  orphan = await buildFixtureWheel(source, '8.0;8.9;9.0;12.0');
}, 600_000);
afterAll(removeScratch);

const verify = (wheels: string) =>
  runVerifyStep({ wheels, 'arch-list': '8.0;8.9;9.0;12.0', python: base.executable, torch: 'preinstalled' });

describe('the dispatch check through torch.ops namespaces (woct0rdho abi3)', () => {
  it('follows each namespace to the module that registers it, and passes the wheel', async () => {
    const { error, report, ctx } = await verify(ops);
    expect(error).toBeUndefined();
    const dispatch = report.wheels[0]!.dispatch;
    expect(dispatch.map((d) => [d.capability, d.function, d.modules, d.passed])).toEqual([
      ['8.0', 'sageattn_qk_int8_pv_fp16_cuda', ['sageattention._fused', 'sageattention._qattn_sm80'], true],
      ['8.9', 'sageattn_qk_int8_pv_fp8_cuda', ['sageattention._fused', 'sageattention._qattn_sm89'], true],
      ['9.0', 'sageattn_qk_int8_pv_fp8_cuda_sm90', ['sageattention._fused', 'sageattention._qattn_sm90'], true],
      ['12.0', 'sageattn_qk_int8_pv_fp8_cuda', ['sageattention._fused', 'sageattention._qattn_sm89'], true],
    ]);
    expect(dispatch[2]!.namespaces).toEqual({
      sageattention_fused: 'sageattention._fused',
      sageattention_qattn_sm90: 'sageattention._qattn_sm90',
    });
    expect(ctx.text()).toContain(
      'sageattn picks sageattn_qk_int8_pv_fp8_cuda_sm90 -> sageattention._fused, sageattention._qattn_sm90 (through torch.ops.',
    );
    expect(ctx.text()).toContain('torch.ops.sageattention_qattn_sm90, registered by sageattention._qattn_sm90');
  });

  it('fails a wheel whose code reaches a namespace no module of it registers, naming the namespace', async () => {
    const { error, report } = await verify(orphan);
    expect(error).toBeDefined();
    expect(report.wheels[0]!.dispatch[2]!.namespaces).toEqual({
      sageattention_fused: null,
      sageattention_qattn_sm90: null,
    });
    expect(report.wheels[0]!.problems).toContain(
      'with compute capability 9.0, sageattn picks sageattn_qk_int8_pv_fp8_cuda_sm90, which calls torch.ops.sageattention_fused, torch.ops.sageattention_qattn_sm90, registered by no extension module of the wheel',
    );
  });
});
