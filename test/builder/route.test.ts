import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeNvcc } from '../../src/builder/route';
import { runProcess } from '../../src/core/exec';
import { findPython } from '../../src/python/interpreter';
import { readGpuCode } from '../../src/verify/binary';
import { codeName } from '../../src/verify/fatbin';
import { gencode, NVCC } from '../verify/nvcc';

/*
 * thu-ml's setup.py gives every module every arch; ninja runs PYTORCH_NVCC with PyTorch's flags.
 * Here the routing wrapper runs real nvcc as ninja would: a wgmma kernel (sm_90a only) and a
 * plain one, both given sm_90a and sm_120a.
 */
let dir: string;
let command: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'route-test-'));
  await writeFile(
    path.join(dir, 'sm90.cu'),
    '__global__ void fence() { asm volatile("wgmma.fence.sync.aligned;\\n" ::: "memory"); }\n',
  );
  await writeFile(path.join(dir, 'fused.cu'), '__global__ void add(float *x) { x[threadIdx.x] += 1.0f; }\n');
  const python = (await findPython('3.12')).executable;
  command = await routeNvcc(
    [
      { module: 'pkg._qattn_sm90', sources: ['sm90.cu'], archs: ['9.0'] },
      { module: 'pkg._fused', sources: ['fused.cu'], archs: ['9.0', '12.0'] },
    ],
    // The compile cache's nvcc, as cache.ts sets it: a command in front of nvcc.
    { sourceDir: dir, work: dir, python, nvcc: NVCC, env: { PYTORCH_NVCC: `/usr/bin/env ${NVCC}` } },
  );
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

/** As ninja runs `$nvcc_from_env ... -c $in -o $out $cuda_post_cflags`: through a shell. */
const compile = (nvcc: string, source: string, object: string) =>
  runProcess('sh', [
    '-c',
    `${nvcc} -c ${path.join(dir, source)} -o ${path.join(dir, object)} ${gencode('sm_90a', 'sm_120a').join(' ')}`,
  ]);
const codeOf = async (object: string) =>
  readGpuCode(await readFile(path.join(dir, object)))
    .entries.map(codeName)
    .sort();

describe('the nvcc routing wrapper', () => {
  it("gives each module's sources only the archs it serves, through the command that ran nvcc before", async () => {
    const direct = await compile(NVCC, 'sm90.cu', 'direct.o');
    expect(direct.code).not.toBe(0);
    expect(direct.stderr).toContain("Instruction 'wgmma.fence' not supported on .target 'sm_120a'");

    const routed = await compile(command, 'sm90.cu', 'sm90.o');
    expect(routed.stderr).toBe('');
    expect(routed.code).toBe(0);
    expect(await codeOf('sm90.o')).toEqual(['sm_90a']);

    expect((await compile(command, 'fused.cu', 'fused.o')).code).toBe(0);
    expect(await codeOf('fused.o')).toEqual(['sm_120a', 'sm_90a']);
  }, 120_000);

  it('passes a file it has no route for through unchanged', async () => {
    await writeFile(path.join(dir, 'other.cu'), '__global__ void other(float *x) { x[0] = 0; }\n');
    expect((await compile(command, 'other.cu', 'other.o')).code).toBe(0);
    expect(await codeOf('other.o')).toEqual(['sm_120a', 'sm_90a']);
  }, 120_000);
});
