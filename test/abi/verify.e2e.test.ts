import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summaryMarkdown } from '../../src/core/summary';
import { relabelWheel } from '../../src/wheel/relabel';
import { buildFixtureWheel, FIXTURES, removeScratch, runVerifyStep, scratch, stubTorchIndex } from '../verify/fixtures';

// The limited-API fixture built by real nvcc, verified under pyenv's Pythons; no GPU, no network.
let abi3: string; // cudapkg-0.1.0-cp310-abi3-linux_x86_64.whl
let falseAbi3: string; // tagged cp310-abi3, built without Py_LIMITED_API, using private _Py_HashBytes
let dir: string;

beforeAll(async () => {
  abi3 = await buildFixtureWheel(path.join(FIXTURES, 'cudapkg-abi3'), '9.0');
  dir = await scratch('abi-verify');
  const source = path.join(dir, 'cudapkg-false-abi3');
  await cp(path.join(FIXTURES, 'cudapkg-abi3'), source, { recursive: true });
  const setup = path.join(source, 'setup.py');
  await writeFile(
    setup,
    (await readFile(setup, 'utf8')).replace('define_macros=[("Py_LIMITED_API", "0x030A0000")],', ''),
  );
  const module = path.join(source, 'csrc', 'module.c');
  await writeFile(
    module,
    (await readFile(module, 'utf8')).replace(
      'static PyMethodDef methods[] = {',
      'static PyObject *hash(PyObject *self, PyObject *unused) { return PyLong_FromSsize_t(_Py_HashBytes("x", 1)); }\n\nstatic PyMethodDef methods[] = {\n  {"hash", hash, METH_NOARGS, "private API"},',
    ),
  );
  falseAbi3 = await buildFixtureWheel(source, '9.0');
}, 300_000);
afterAll(removeScratch);

const verify = (raw: Record<string, string>) =>
  runVerifyStep({ package: 'generic', torch: 'none', 'arch-list': '9.0', ...raw });

describe('verify by ABI', () => {
  it('installs the one abi3 wheel on each listed Python; one the machine lacks is not tested here', async () => {
    expect(path.basename(abi3)).toBe('cudapkg-0.1.0-cp310-abi3-linux_x86_64.whl');
    const { report, ctx, error } = await verify({ wheels: abi3, 'test-pythons': '3.10,3.11,3.12,3.13,3.19' });
    expect(error).toBeUndefined();
    const [wheel] = report.wheels;
    expect(wheel!.abi).toBe('abi3 from Python 3.10');
    expect(wheel!.combinations!.map((c) => `${c.python} ${c.status}`)).toEqual([
      '3.10 passed',
      '3.11 passed',
      '3.12 passed',
      '3.13 passed',
      '3.19 not tested here',
    ]);
    expect(wheel!.combinations![4]!.error).toMatch(/^no Python 3\.19 here/);
    expect(ctx.text()).toContain('symbols: every extension module keeps to the ABI it claims');
    const summary = summaryMarkdown(ctx.summary);
    expect(summary).toContain('| ABI claimed | abi3 from Python 3.10 |');
    expect(summary).toContain('| Python 3.13 | ✅ passed |');
    expect(summary).toMatch(/\| Python 3\.19 \| – not tested here: no Python 3\.19 here/);
  });

  it('fails a wheel tagged abi3 that uses private Python API, naming the symbol', async () => {
    expect(path.basename(falseAbi3)).toBe('cudapkg-0.1.0-cp310-abi3-linux_x86_64.whl');
    const { report, error } = await verify({ wheels: falseAbi3, 'test-pythons': '3.12' });
    expect(error?.message).toContain(
      "cudapkg/_kernels.abi3.so uses _Py_HashBytes, which is not in CPython's stable ABI, though the wheel claims abi3 from Python 3.10",
    );
    expect(report.passed).toBe(false);
  });

  it('installs each listed torch with torch: install on each listed Python', async () => {
    const index = path.join(dir, 'torch-index');
    await stubTorchIndex(index, '2.11.0');
    const url = await stubTorchIndex(index, '2.10.0');
    const links = ['2.10.0', '2.11.0'].map(
      (v) => `<a href="torch-${v}-py3-none-any.whl">torch-${v}-py3-none-any.whl</a>`,
    );
    await writeFile(path.join(index, 'simple', 'torch', 'index.html'), links.join('\n') + '\n');
    const stable = await relabelWheel(abi3, { label: 'cu130torch2.10.0andhigher', requires: ['torch>=2.10'] }, dir);
    const run = (wheel: string) =>
      verify({
        wheels: wheel,
        torch: 'install',
        'torch-index-url': url,
        'test-pythons': '3.11,3.12',
        'test-torches': '2.10.0,2.11.0',
      });
    const { report, error } = await run(stable);
    expect(error).toBeUndefined();
    expect(report.wheels[0]!.abi).toBe(
      'abi3 from Python 3.10, torch stable ABI from 2.10 (its label +cu130torch2.10.0andhigher)',
    );
    // Each listed Python with the torch verify tested (the stub calls itself 2.11.0 whatever it was
    // installed as), each listed torch with the wheel's Python (cp310: 3.10).
    expect(report.wheels[0]!.combinations!.map((c) => `${c.python} ${c.torch} ${c.status}`)).toEqual([
      '3.11 2.11.0 passed',
      '3.12 2.11.0 passed',
      '3.10 2.10.0 passed',
      '3.10 2.11.0 passed',
    ]);
  });

  it('fails naming the combination the wheel does not serve', async () => {
    const { report, error } = await verify({ wheels: abi3, 'test-pythons': '3.9,3.10' });
    expect(report.wheels[0]!.combinations!.map((c) => `${c.python} ${c.status}`)).toEqual([
      '3.9 failed',
      '3.10 passed',
    ]);
    expect(error?.message).toMatch(
      /^cudapkg-0\.1\.0-cp310-abi3-linux_x86_64\.whl: Python 3\.9: the wheel does not work there: could not install: /,
    );
  });

  it('refuses a test-pythons item that is not a version, before any venv', async () => {
    await expect(verify({ wheels: abi3, 'test-pythons': '3.10, py3' })).rejects.toThrow(
      /^test-pythons: "py3" is not a version/,
    );
  });
});
