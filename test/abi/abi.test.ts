import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { abiOfTexts, chooseAbi, detectAbi, describeAbi } from '../../src/abi/detect';
import { abiVersionSuffix, torchRequirement } from '../../src/abi/promise';
import { abiSymbolProblems } from '../../src/abi/symbols';
import { collapseByAbi } from '../../src/matrix/abi';
import { versionSuffix } from '../../src/torch/releases';
import { claimedAbi, combinationsToTest } from '../../src/verify/abi';
import { readPeImports } from '../../src/verify/binary';
import { buildPeDll, peLayout } from '../verify/pe';
import { parseWheelName } from '../../src/wheel/name';

const SETUP_ABI3 = `
CXX_FLAGS += ["-DPy_LIMITED_API=0x030A0000"]
ext = CUDAExtension(name="pkg._k", sources=["csrc/k.cu"], py_limited_api=True)
setup(name="pkg", options={"bdist_wheel": {"py_limited_api": "cp310"}})
`;
const SETUP_STABLE = SETUP_ABI3.replace('0x030A0000"]', '0x030A0000", "-DTORCH_STABLE_ONLY"]');

describe('detecting the ABI of a source', () => {
  it('reads the limited API floor from the macro and from bdist_wheel', () => {
    expect(abiOfTexts(new Map([['setup.py', SETUP_ABI3]]))).toEqual({ limited: { python: '3.10' } });
    const only = abiOfTexts(new Map([['setup.cfg', '[bdist_wheel]\npy_limited_api = "cp39"']]));
    expect(only.limited?.python).toBe('3.9');
    const macros = abiOfTexts(new Map([['setup.py', 'define_macros=[("Py_LIMITED_API", "0x030B0000")]']]));
    expect(macros.limited?.python).toBe('3.11');
    const define = abiOfTexts(new Map([['m.c', '#define Py_LIMITED_API 0x030C0000']]));
    expect(define.limited?.python).toBe('3.12');
  });

  it('takes the stable floor from the newest API the C++ sources use', () => {
    const plain = abiOfTexts(
      new Map([
        ['setup.py', SETUP_STABLE],
        ['csrc/a.cu', '#include <torch/csrc/stable/library.h>\nSTABLE_TORCH_LIBRARY(pkg, m) {}'],
      ]),
    );
    expect(plain.stable?.torch).toBe('2.9');
    const boxed = abiOfTexts(
      new Map([
        ['setup.py', SETUP_STABLE],
        ['csrc/a.cu', '#include <torch/csrc/stable/library.h>'],
        ['csrc/b.cu', 'm.impl("f", TORCH_BOX(&f));'],
      ]),
    );
    expect(boxed.stable).toEqual({ torch: '2.10', evidence: 'TORCH_BOX in csrc/b.cu' });
    expect(describeAbi(boxed)).toBe('abi3 from Python 3.10, torch stable ABI from 2.10 (TORCH_BOX in csrc/b.cu)');
  });

  it('sees no stable ABI in code that merely includes stable headers without TORCH_STABLE_ONLY', () => {
    const abi = abiOfTexts(new Map([['csrc/a.cu', '#include <torch/csrc/stable/library.h>']]));
    expect(abi).toEqual({});
    expect(describeAbi(abi)).toMatch(/^none/);
  });

  it('walks a source tree, skipping vendored and build folders', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'abi-'));
    await mkdir(path.join(dir, 'csrc'), { recursive: true });
    await mkdir(path.join(dir, 'build', 'x'), { recursive: true });
    await writeFile(path.join(dir, 'setup.py'), SETUP_STABLE);
    await writeFile(path.join(dir, 'csrc', 'k.cu'), 'TORCH_BOX(&k)');
    await writeFile(path.join(dir, 'build', 'x', 'old.cu'), '#define Py_LIMITED_API 0x030C0000');
    expect(await detectAbi(dir)).toEqual({
      limited: { python: '3.10' },
      stable: { torch: '2.10', evidence: 'TORCH_BOX in csrc/k.cu' },
    });
  });

  it('refuses an explicit ABI the source cannot honour, naming the input', () => {
    expect(() => chooseAbi('abi3', {})).toThrow(/^abi: abi3\. /);
    expect(() => chooseAbi('stable', { limited: { python: '3.10' } })).toThrow(/^abi: stable\. .*TORCH_STABLE_ONLY/);
    const both = { limited: { python: '3.10' }, stable: { torch: '2.10', evidence: 'x' } };
    expect(chooseAbi('abi3', both)).toEqual({ limited: { python: '3.10' } });
    expect(chooseAbi('none', both)).toEqual({});
    expect(chooseAbi('auto', both)).toBe(both);
  });
});

describe('names and pins', () => {
  const PEP440_LOCAL = /^\+[a-z0-9]+(?:\.[a-z0-9]+)*$/i;
  it('labels a stable wheel "andhigher", a valid PEP 440 local label', () => {
    const label = abiVersionSuffix('13.0', '2.10.0', { stable: { torch: '2.10', evidence: '' } });
    expect(label).toBe('+cu130torch2.10.0andhigher');
    expect(label).toMatch(PEP440_LOCAL);
    expect(abiVersionSuffix('12.8', '2.7.1', { limited: { python: '3.10' } })).toBe('+cu128torch2.7.1');
  });

  it('pins torch to the built minor, or from the built torch on for the stable ABI', () => {
    expect(torchRequirement('2.7.1', { limited: { python: '3.10' } })).toBe('torch>=2.7,<2.8');
    expect(torchRequirement('2.10.0', { stable: { torch: '2.10', evidence: '' } })).toBe('torch>=2.10');
  });
});

describe('symbols a claimed ABI forbids', () => {
  const abi3 = { limited: { python: '3.10' } };
  const stable = { stable: { torch: '2.10', evidence: '' } };
  it('names a versioned libpython and private Python API in an abi3 library', () => {
    expect(
      abiSymbolProblems('_k.so', { needed: ['libc.so.6', 'python3.dll'], undefined: ['_Py_Dealloc'] }, abi3),
    ).toEqual([]);
    const problems = abiSymbolProblems(
      '_k.so',
      { needed: ['libpython3.12.so.1.0'], undefined: ['PyLong_FromLong', '_PyObject_GetState'] },
      abi3,
    );
    expect(problems).toEqual([
      '_k.so links libpython3.12.so.1.0, a library of one Python version, though the wheel claims abi3',
      "_k.so uses _PyObject_GetState, which is not in CPython's stable ABI, though the wheel claims abi3 from Python 3.10",
    ]);
    expect(abiSymbolProblems('_k.pyd', { needed: ['python312.dll'], undefined: [] }, abi3)).toHaveLength(1);
  });

  it('names the first libtorch C++ symbol in a stable-ABI library', () => {
    const clean = { needed: ['libc.so.6'], undefined: ['aoti_torch_get_current_cuda_stream', 'torch_call_dispatcher'] };
    expect(abiSymbolProblems('_k.so', clean, stable)).toEqual([]);
    const cxx = {
      needed: ['libtorch_python.so', 'libc10.so'],
      undefined: ['_ZN3c106detail14torchCheckFailEPKcS2_jRKSs', '_ZNK2at10TensorBase8data_ptrEv'],
    };
    expect(abiSymbolProblems('_k.so', cxx, stable)).toEqual([
      '_k.so links libtorch_python.so, which is not part of the torch stable ABI',
      '_k.so uses 2 libtorch C++ symbol(s) outside the stable ABI, first _ZN3c106detail14torchCheckFailEPKcS2_jRKSs, though the wheel claims torch >= 2.10',
    ]);
  });
});

describe('collapsing the matrix by ABI', () => {
  const torches = ['2.10.0', '2.11.0', '2.12.0', '2.13.0', '2.14.0', '2.15.0'];
  const pythons = ['3.10', '3.11', '3.12', '3.13', '3.14'];
  const jobs = torches.flatMap((torch) =>
    ['12.8', '13.0'].flatMap((cuda) =>
      ['linux-x86_64', 'windows-x86_64'].flatMap((platform) =>
        pythons.map((python) => ({
          python,
          torch,
          cuda,
          platform,
          'arch-list': '9.0',
          'version-suffix': versionSuffix(cuda, torch),
        })),
      ),
    ),
  );

  it('abi3: one job per torch x CUDA x platform, built with the oldest Python, tested on all', () => {
    const { entries, note } = collapseByAbi(jobs, { limited: { python: '3.10' } });
    expect(jobs).toHaveLength(120);
    expect(entries).toHaveLength(24);
    expect(new Set(entries.map((e) => e.python))).toEqual(new Set(['3.10']));
    expect(entries[0]!['test-pythons']).toBe('3.10,3.11,3.12,3.13,3.14');
    expect(note).toBe('120 -> 24 jobs: one abi3 wheel serves every Python from 3.10; one wheel per torch and CUDA');
  });

  it('abi3 + stable: one job per CUDA major x platform against the oldest torch', () => {
    const abi = { limited: { python: '3.10' }, stable: { torch: '2.10', evidence: '' } };
    const { entries, note } = collapseByAbi(jobs, abi);
    expect(entries).toHaveLength(4);
    expect(entries.length * 10).toBeLessThanOrEqual(jobs.length);
    for (const entry of entries) {
      expect(entry.torch).toBe('2.10.0');
      expect(entry['version-suffix']).toBe(`+cu${entry.cuda.replace('.', '')}torch2.10.0andhigher`);
      expect(entry['test-torches']).toBe(torches.join(','));
    }
    expect(note).toMatch(/^120 -> 4 jobs/);
  });

  it('drops the jobs below a floor with the reason', () => {
    const old = [
      { python: '3.9', torch: '2.8.0', cuda: '12.8', platform: 'linux-x86_64', 'version-suffix': '' },
      { python: '3.10', torch: '2.9.0', cuda: '12.8', platform: 'linux-x86_64', 'version-suffix': '' },
      { python: '3.10', torch: '2.10.0', cuda: '12.8', platform: 'linux-x86_64', 'version-suffix': '' },
    ];
    const { entries, leftOut } = collapseByAbi(old, {
      limited: { python: '3.10' },
      stable: { torch: '2.10', evidence: '' },
    });
    expect(entries.map((e) => e.torch)).toEqual(['2.10.0']);
    expect(leftOut).toEqual([
      "Python 3.9: the source's limited API needs Python >= 3.10",
      "torch 2.9.0: the source's stable-ABI code needs torch >= 2.10",
    ]);
  });
});

describe('what a wheel claims', () => {
  const claims = (file: string) => claimedAbi(parseWheelName(file));
  it('abi3 by its tag, the stable ABI by its "andhigher" label, nothing otherwise', () => {
    expect(claims('pkg-1.0+cu130-cp39-abi3-linux_x86_64.whl')).toEqual({ limited: { python: '3.9' } });
    expect(claims('pkg-1.0+cu130torch2.10.0andhigher-cp310-abi3-win_amd64.whl')).toEqual({
      limited: { python: '3.10' },
      stable: { torch: '2.10', evidence: 'its label +cu130torch2.10.0andhigher' },
    });
    expect(claims('pkg-1.0+cu130torch2.10.0-cp312-cp312-linux_x86_64.whl')).toEqual({});
  });
});

describe('the Pythons and torches verify installs a wheel on', () => {
  it('each listed Python with the tested torch, each listed torch with the tested Python, once each', () => {
    const pairs = combinationsToTest(['3.10', '3.11', '3.12'], ['2.10.0', '2.11.0', '2.12.0'], {
      python: '3.10.13',
      torch: '2.10.0+cu130',
    });
    expect(pairs.map((p) => `${p.python} ${p.torch}`)).toEqual([
      '3.10 2.10.0',
      '3.11 2.10.0',
      '3.12 2.10.0',
      '3.10 2.11.0',
      '3.10 2.12.0',
    ]);
    expect(combinationsToTest(['3.10', '3.13'], [], { python: '3.10.13' })).toEqual([
      { python: '3.10' },
      { python: '3.13' },
    ]);
  });
});

describe("a DLL's imports", () => {
  /** A PE32+ DLL whose .idata imports these functions by name from these DLLs, as link.exe lays it out. */
  function dllImporting(imports: Record<string, string[]>): Buffer {
    const [{ rva }] = peLayout([{ name: '.idata', data: Buffer.alloc(1) }]) as [{ rva: number; offset: number }];
    const dlls = Object.entries(imports);
    const idata = Buffer.alloc(4096);
    let free = (dlls.length + 1) * 20;
    const put = (bytes: Buffer): number => {
      const at = free;
      bytes.copy(idata, at);
      free = (free + bytes.length + 8) & ~7;
      return rva + at;
    };
    dlls.forEach(([dll, functions], i) => {
      const names = functions.map((f) => put(Buffer.concat([Buffer.alloc(2), Buffer.from(`${f}\0`)])));
      const thunks = Buffer.alloc((names.length + 2) * 8);
      names.forEach((n, j) => thunks.writeBigUInt64LE(BigInt(n), j * 8));
      thunks.writeBigUInt64LE(0x8000000000000007n, names.length * 8); // one import by ordinal
      const lookup = put(thunks);
      idata.writeUInt32LE(lookup, i * 20);
      idata.writeUInt32LE(put(Buffer.from(`${dll}\0`)), i * 20 + 12);
      idata.writeUInt32LE(lookup, i * 20 + 16);
    });
    const dll = buildPeDll([{ name: '.idata', data: idata }]);
    const optional = 0x84 + 20;
    dll.writeUInt32LE(rva, optional + 112 + 8);
    dll.writeUInt32LE((dlls.length + 1) * 20, optional + 112 + 12);
    return dll;
  }

  it('reads the DLLs and the functions imported by name', () => {
    const dll = dllImporting({ 'python312.dll': ['PyLong_FromLong', '_PyObject_GetState'], 'KERNEL32.dll': ['Sleep'] });
    const imports = readPeImports(dll);
    expect(imports).toEqual({
      needed: ['python312.dll', 'KERNEL32.dll'],
      functions: ['PyLong_FromLong', '_PyObject_GetState', 'Sleep'],
    });
    expect(
      abiSymbolProblems(
        '_k.pyd',
        { needed: imports.needed, undefined: imports.functions },
        { limited: { python: '3.10' } },
      ),
    ).toEqual([
      '_k.pyd links python312.dll, a library of one Python version, though the wheel claims abi3',
      "_k.pyd uses _PyObject_GetState, which is not in CPython's stable ABI, though the wheel claims abi3 from Python 3.10",
    ]);
    expect(readPeImports(dllImporting({ 'python3.dll': ['PyLong_FromLong'] })).needed).toEqual(['python3.dll']);
  });

  it("names libtorch's C++ symbols in MSVC's mangling for a stable-ABI wheel", () => {
    const msvc = '?torchCheckFail@detail@c10@@YAXPEBD0IAEBV?$basic_string@DU?$char_traits@D@std@@@std@@@Z';
    const problems = abiSymbolProblems(
      '_k.pyd',
      { needed: ['c10.dll'], undefined: ['aoti_torch_get_current_cuda_stream', msvc, '?f@std@@YAXXZ'] },
      { stable: { torch: '2.10', evidence: '' } },
    );
    expect(problems).toEqual([
      `_k.pyd uses 1 libtorch C++ symbol(s) outside the stable ABI, first ${msvc}, though the wheel claims torch >= 2.10`,
    ]);
  });
});
