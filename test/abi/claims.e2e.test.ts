import { writeFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChecked } from '../../src/core/exec';
import { STABLE_ABI_ADDED } from '../../src/abi/stable-abi';
import { findPython } from '../../src/python/interpreter';
import { readElfNeeds } from '../../src/verify/binary';
import { relabelWheel } from '../../src/wheel/relabel';
import type { ZipItem } from '../../src/wheel/zip';
import { buildFixtureWheel, FIXTURES, removeScratch, repackWheel, runVerifyStep, scratch } from '../verify/fixtures';

// Claims of real wheels against real ELF files: the abi3 fixture built by nvcc, and small shared
// objects g++ builds here that reference the symbols a claim forbids. No GPU, no network.
let dir: string;
let abi3: string; // cudapkg-0.1.0-cp310-abi3-linux_x86_64.whl, cudapkg/_kernels.abi3.so

/** A shared object from this C++ source (undefined symbols left for the loader, as a module's are). */
async function sharedObject(name: string, source: string): Promise<Buffer> {
  const file = path.join(dir, `${name}.cpp`);
  await writeFile(file, source);
  await runChecked('g++', ['-shared', '-fPIC', '-O0', file, '-o', path.join(dir, `${name}.so`)]);
  return readFile(path.join(dir, `${name}.so`));
}

const so = (name: string, data: Buffer): ZipItem => ({ name: `cudapkg/${name}`, data, mode: 0o755 });
const undefinedIn = (data: Buffer) => readElfNeeds(data).undefinedSymbols ?? [];
const verify = (wheel: string) =>
  runVerifyStep({ package: 'generic', torch: 'none', 'arch-list': '9.0', wheels: wheel });

beforeAll(async () => {
  abi3 = await buildFixtureWheel(path.join(FIXTURES, 'cudapkg-abi3'), '9.0');
  dir = await scratch('claims');
}, 300_000);
afterAll(removeScratch);

describe('abi3 claims of real wheels', () => {
  it('fails a cp310-abi3 wheel whose module is named for one Python version, naming the file', async () => {
    const wheel = await repackWheel(abi3, path.join(dir, 'named', path.basename(abi3)), (items) =>
      items.map((item) =>
        item.name === 'cudapkg/_kernels.abi3.so'
          ? { ...item, name: 'cudapkg/_kernels.cpython-310-x86_64-linux-gnu.so' }
          : item,
      ),
    );
    const { report, error } = await verify(wheel);
    // Python 3.10 imports it, so nothing else fails: only the name breaks the claim.
    expect(report.wheels[0]!.problems).toEqual([
      'cudapkg/_kernels.cpython-310-x86_64-linux-gnu.so is named for one Python version (.cpython-310-x86_64-linux-gnu.so), though the wheel claims abi3: other Pythons do not import it. Name it _kernels.abi3.so (or _kernels.so)',
    ]);
    expect(error?.message).toContain('is named for one Python version');
  });

  it("fails symbols outside CPython's stable ABI or newer than the wheel's floor, naming symbol and file", async () => {
    const posonly = await sharedObject(
      'posonly',
      'extern "C" void *PyCode_NewWithPosOnlyArgs(...);\nextern "C" void *PyInit__posonly() { return PyCode_NewWithPosOnlyArgs(0); }\n',
    );
    const newer = await sharedObject(
      'newer',
      'extern "C" void *PyType_GetName(void *);\nextern "C" void *PyInit__newer() { return PyType_GetName(0); }\n',
    );
    const fine = await sharedObject(
      'fine',
      'extern "C" void *PyType_GetModule(void *);\nextern "C" void *PyInit__fine() { return PyType_GetModule(0); }\n',
    );
    expect(undefinedIn(posonly)).toContain('PyCode_NewWithPosOnlyArgs');
    expect(undefinedIn(newer)).toContain('PyType_GetName');
    const wheel = await repackWheel(abi3, path.join(dir, 'symbols', path.basename(abi3)), (items) => [
      ...items,
      so('_posonly.abi3.so', posonly),
      so('_newer.abi3.so', newer),
      so('_fine.abi3.so', fine),
    ]);
    const { report } = await verify(wheel);
    const claims = report.wheels[0]!.problems.filter((p) => p.includes('stable ABI'));
    expect(claims).toEqual([
      "cudapkg/_newer.abi3.so uses PyType_GetName, which joined CPython's stable ABI in Python 3.11, after Python 3.10, though the wheel claims abi3 from Python 3.10",
      "cudapkg/_posonly.abi3.so uses PyCode_NewWithPosOnlyArgs, which is not in CPython's stable ABI, though the wheel claims abi3 from Python 3.10",
    ]);
  });
});

describe('torch stable-ABI claims of real wheels', () => {
  it('fails every kind of libtorch C++ symbol: vtable, typeinfo, guard variable, thunk', async () => {
    const storage = 'namespace c10 { struct StorageImpl { StorageImpl() {} virtual ~StorageImpl(); }; }\n';
    const vtable = await sharedObject(
      'vtable',
      `${storage}extern "C" void *PyInit__vtable() { return new c10::StorageImpl(); }\n`,
    );
    const typeinfo = await sharedObject(
      'typeinfo',
      `#include <typeinfo>\n${storage}extern "C" const void *PyInit__typeinfo() { return &typeid(c10::StorageImpl); }\n`,
    );
    // A guard variable and a thunk have no source spelling that leaves them undefined; their names do.
    const guard = await sharedObject(
      'guard',
      'extern "C" char _ZGVZN2at4cuda16getCurrentStreamEaE6stream;\nextern "C" void *PyInit__guard() { return &_ZGVZN2at4cuda16getCurrentStreamEaE6stream; }\n',
    );
    const thunk = await sharedObject(
      'thunk',
      'extern "C" void _ZThn16_N5torch8autograd4NodeD1Ev();\nextern "C" void *PyInit__thunk() { return (void *)&_ZThn16_N5torch8autograd4NodeD1Ev; }\n',
    );
    expect(undefinedIn(vtable)).toContain('_ZTVN3c1011StorageImplE');
    expect(undefinedIn(vtable).filter((s) => s.startsWith('_ZN'))).toEqual([]);
    expect(undefinedIn(typeinfo)).toContain('_ZTIN3c1011StorageImplE');
    const stable = await relabelWheel(abi3, { label: 'cu130torch2.10.0andhigher', requires: ['torch>=2.10'] }, dir);
    const wheel = await repackWheel(stable, path.join(dir, 'torch', path.basename(stable)), (items) => [
      ...items,
      so('_vtable.abi3.so', vtable),
      so('_typeinfo.abi3.so', typeinfo),
      so('_guard.abi3.so', guard),
      so('_thunk.abi3.so', thunk),
    ]);
    const { report } = await verify(wheel);
    const claims = report.wheels[0]!.problems.filter((p) => p.includes('libtorch C++'));
    expect(claims).toEqual([
      'cudapkg/_guard.abi3.so uses 1 libtorch C++ symbol(s) outside the stable ABI, first _ZGVZN2at4cuda16getCurrentStreamEaE6stream, though the wheel claims torch >= 2.10',
      'cudapkg/_thunk.abi3.so uses 1 libtorch C++ symbol(s) outside the stable ABI, first _ZThn16_N5torch8autograd4NodeD1Ev, though the wheel claims torch >= 2.10',
      'cudapkg/_typeinfo.abi3.so uses 1 libtorch C++ symbol(s) outside the stable ABI, first _ZTIN3c1011StorageImplE, though the wheel claims torch >= 2.10',
      'cudapkg/_vtable.abi3.so uses 1 libtorch C++ symbol(s) outside the stable ABI, first _ZTVN3c1011StorageImplE, though the wheel claims torch >= 2.10',
    ]);
  });
});

describe("the stable ABI data against CPython's own libraries", () => {
  // Exported only on Windows, with USE_STACKCHECK, or in debug builds (Py_REF_DEBUG).
  const CONDITIONAL = new Set([
    ...['PyErr_SetExcFromWindowsErr', 'PyErr_SetExcFromWindowsErrWithFilename', 'PyErr_SetFromWindowsErr'],
    ...['PyErr_SetExcFromWindowsErrWithFilenameObject', 'PyErr_SetExcFromWindowsErrWithFilenameObjects'],
    ...['PyErr_SetFromWindowsErrWithFilename', 'PyExc_WindowsError', 'PyUnicode_AsMBCSString'],
    ...['PyUnicode_DecodeCodePageStateful', 'PyUnicode_DecodeMBCS', 'PyUnicode_DecodeMBCSStateful'],
    ...['PyUnicode_EncodeCodePage', 'PyOS_CheckStack', '_Py_NegativeRefcount', '_Py_RefTotal'],
  ]);
  it.each(['3.10', '3.12', '3.13'])('libpython%s exports every name the data says it has', async (version) => {
    const python = await findPython(version);
    const { stdout } = await runChecked(python.executable, [
      '-c',
      'import sysconfig, os; print(os.path.join(sysconfig.get_config_var("LIBDIR"), sysconfig.get_config_var("LDLIBRARY")))',
    ]);
    const exported = new Set(
      (await runChecked('nm', ['-D', '--defined-only', stdout.trim()])).stdout
        .split('\n')
        .map((line) => line.split(' ').at(-1)!),
    );
    const minor = Number(version.split('.')[1]);
    const expected = Object.entries(STABLE_ABI_ADDED)
      .filter(([added]) => Number(added.split('.')[1]) <= minor)
      .flatMap(([, names]) => names.trim().split(/\s+/))
      .filter((name) => !CONDITIONAL.has(name));
    expect(expected.length).toBeGreaterThan(800);
    expect(expected.filter((name) => !exported.has(name))).toEqual([]);
  });
});
