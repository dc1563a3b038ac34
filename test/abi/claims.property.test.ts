import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { abiSymbolProblems, isLibtorchCxx, stableAbiAdded } from '../../src/abi/symbols';
import { STABLE_ABI_ADDED } from '../../src/abi/stable-abi';
import { claimProblems } from '../../src/verify/abi';

// Generated mangled names of every C++ symbol kind, in libtorch's namespaces and outside them.
const identifier = fc.stringMatching(/^[a-z_][a-z_]{0,11}$/);
const source = (id: string) => `${id.length}${id}`;
const OTHER = identifier.filter((id) => !['at', 'c10', 'torch'].includes(id));
/** A namespace path whose outermost namespace is libtorch's (torch::stable and torch::headeronly are not). */
const TORCH_PATH = fc
  .tuple(fc.constantFrom('at', 'c10', 'torch'), fc.array(identifier, { maxLength: 3 }))
  .filter(([top, [inner]]) => top !== 'torch' || (inner !== 'stable' && inner !== 'headeronly'));
const OTHER_PATH = fc.tuple(OTHER, fc.array(identifier, { maxLength: 3 }));

/** The Itanium encodings of each symbol kind for an entity `names` (outermost first). */
function itanium(names: readonly string[], kind: number, offset: number): string {
  const nested = `N${names.map(source).join('')}E`;
  const fn = `${nested}${['v', 'i', 'RKi', 'PKcS0_j'][offset % 4]}`;
  return [
    `_Z${fn}`, // function
    `_ZNK${nested.slice(1)}v`, // const member function
    `_ZNKR${nested.slice(1)}v`, // ref-qualified member function
    `_ZTV${nested}`, // vtable
    `_ZTI${nested}`, // typeinfo
    `_ZTS${nested}`, // typeinfo name
    `_ZTT${nested}`, // VTT
    `_ZGV${nested}`, // guard variable
    `_ZGVZ${fn}E1x`, // guard of a function-local static
    `_ZZ${fn}E1x`, // function-local static
    `_ZThn${offset}_${fn}`, // this-adjusting thunk
    `_ZTv0_n${offset}_${fn}`, // virtual thunk
    `_ZTchn${offset}_h${offset}_${fn}`, // covariant thunk
    `_ZTW${nested}`, // TLS wrapper
    `_ZTH${nested}`, // TLS init
  ][kind]!;
}
const ITANIUM_KINDS = 15;

/** MSVC's forms for the same: innermost first, the outermost namespace before `@@`. */
function msvc(names: readonly string[], kind: number): string {
  const [cls, ...scope] = [...names].reverse();
  const q = [cls, ...scope].join('@');
  return [
    `?f@${q}@@YAXXZ`, // function
    `??_7${q}@@6B@`, // vftable
    `??_R0?AV${q}@@@8`, // RTTI type descriptor
    `??_R4${q}@@6B@`, // complete object locator
    `??0${q}@@QEAA@XZ`, // constructor
    `??1${q}@@UEAA@XZ`, // destructor
    `??_G${q}@@UEAAPEAXI@Z`, // scalar deleting destructor
    `?f@?$T@H@${q}@@QEBAHXZ`, // member of a class template
    `??_B?1??f@${q}@@YAXXZ@51`, // guard of a function-local static
  ][kind]!;
}
const MSVC_KINDS = 9;

const entity = (path: fc.Arbitrary<[string, string[]]>) =>
  path.chain(([top, inner]) => identifier.map((leaf) => [top, ...inner, leaf]));

describe('libtorch C++ symbols by kind (property)', () => {
  it('refuses every Itanium kind of symbol in at::, c10::, torch::', () => {
    fc.assert(
      fc.property(entity(TORCH_PATH), fc.nat(ITANIUM_KINDS - 1), fc.nat(64), (names, kind, offset) => {
        expect(isLibtorchCxx(itanium(names, kind, offset))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses every MSVC kind of symbol in at::, c10::, torch::', () => {
    fc.assert(
      fc.property(entity(TORCH_PATH), fc.nat(MSVC_KINDS - 1), (names, kind) => {
        expect(isLibtorchCxx(msvc(names, kind))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('accepts the same kinds outside libtorch, in torch::stable and torch::headeronly, and C names', () => {
    const stable = fc
      .tuple(fc.constantFrom('stable', 'headeronly'), fc.array(identifier, { maxLength: 2 }))
      .map(([inner, rest]): [string, string[]] => ['torch', [inner, ...rest]]);
    fc.assert(
      fc.property(
        entity(fc.oneof(OTHER_PATH, stable)),
        fc.nat(ITANIUM_KINDS - 1),
        fc.nat(MSVC_KINDS - 1),
        fc.nat(64),
        identifier,
        (names, ik, mk, offset, c) => {
          expect(isLibtorchCxx(itanium(names, ik, offset))).toBe(false);
          expect(isLibtorchCxx(msvc(names, mk))).toBe(false);
          expect(isLibtorchCxx(`aoti_torch_${c}`)).toBe(false);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('names the first such symbol of a stable-ABI module', () => {
    const stable = { stable: { torch: '2.10', evidence: '' } };
    const needs = { needed: ['libtorch.so'], undefined: ['aoti_torch_empty_strided', '_ZTVN3c1011StorageImplE'] };
    expect(abiSymbolProblems('_k.so', needs, stable)).toEqual([
      '_k.so uses 1 libtorch C++ symbol(s) outside the stable ABI, first _ZTVN3c1011StorageImplE, though the wheel claims torch >= 2.10',
    ]);
    const pyd = { needed: ['c10.dll'], undefined: ['??_7StorageImpl@c10@@6B@'] };
    expect(abiSymbolProblems('_k.pyd', pyd, stable)).toHaveLength(1);
  });
});

/** Every name of the manifest with the version that added it. */
const MANIFEST = Object.entries(STABLE_ABI_ADDED).flatMap(([version, names]) =>
  names
    .trim()
    .split(/\s+/)
    .map((name) => ({ name, version })),
);
const minorOf = (version: string) => Number(version.split('.')[1]);

describe("CPython's stable ABI by version (property)", () => {
  it('holds the functions and data of 3.2 to 3.15', () => {
    expect(Object.keys(STABLE_ABI_ADDED)).toEqual(Array.from({ length: 14 }, (_, i) => `3.${i + 2}`));
    expect(stableAbiAdded('PyLong_FromLong')).toBe('3.2');
    expect(stableAbiAdded('PyType_GetName')).toBe('3.11');
    expect(stableAbiAdded('PyCode_NewWithPosOnlyArgs')).toBeUndefined();
  });

  it('accepts a stable-ABI symbol iff it was added no later than the claimed minimum', () => {
    fc.assert(
      fc.property(fc.constantFrom(...MANIFEST), fc.integer({ min: 2, max: 15 }), ({ name, version }, claimed) => {
        const problems = abiSymbolProblems(
          '_k.so',
          { needed: [], undefined: [name] },
          { limited: { python: `3.${claimed}` } },
        );
        if (minorOf(version) <= claimed) expect(problems).toEqual([]);
        else
          expect(problems).toEqual([
            `_k.so uses ${name}, which joined CPython's stable ABI in Python ${version}, after Python 3.${claimed}, though the wheel claims abi3 from Python 3.${claimed}`,
          ]);
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses any other Py or _Py name, naming it', () => {
    const names = new Set(MANIFEST.map((m) => m.name));
    const name = fc
      .tuple(
        fc.constantFrom('Py', '_Py', 'Py_', '_Py_', 'PyUnstable_', 'PyCode_'),
        fc.stringMatching(/^[A-Z][A-Za-z_]{0,20}$/),
      )
      .map(([prefix, rest]) => prefix + rest)
      .filter((n) => !names.has(n));
    fc.assert(
      fc.property(name, fc.integer({ min: 2, max: 15 }), (symbol, claimed) => {
        expect(
          abiSymbolProblems('_k.so', { needed: [], undefined: [symbol] }, { limited: { python: `3.${claimed}` } }),
        ).toEqual([
          `_k.so uses ${symbol}, which is not in CPython's stable ABI, though the wheel claims abi3 from Python 3.${claimed}`,
        ]);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('abi3 module names (property)', () => {
  const abi3 = { limited: { python: '3.12' } };
  const module = (file: string) => ({ module: 'pkg._k', path: `pkg/${file}` });
  it('accepts .abi3.so, a bare .so and a bare .pyd', () => {
    fc.assert(
      fc.property(identifier, fc.constantFrom('.abi3.so', '.so', '.pyd'), (stem, ending) => {
        expect(claimProblems([module(stem + ending)], abi3)).toEqual([]);
      }),
    );
  });

  it('refuses a name any one Python version gives, naming the file', () => {
    const ending = fc.oneof(
      fc
        .tuple(fc.integer({ min: 2, max: 15 }), fc.constantFrom('x86_64-linux-gnu', 'aarch64-linux-gnu', 'darwin'))
        .map(([minor, platform]) => `.cpython-3${minor}-${platform}.so`),
      fc
        .tuple(fc.integer({ min: 2, max: 15 }), fc.constantFrom('win_amd64', 'win_arm64', 'win32'))
        .map(([minor, platform]) => `.cp3${minor}-${platform}.pyd`),
      fc.constant('.abi3.pyd'),
    );
    fc.assert(
      fc.property(identifier, ending, (stem, end) => {
        const [problem] = claimProblems([module(stem + end)], abi3);
        expect(problem).toMatch(/ is named for one Python version \(.+\), though the wheel claims abi3/);
        expect(problem!.startsWith(`pkg/${stem}${end} `)).toBe(true);
        expect(
          problem!.endsWith(end.endsWith('.pyd') ? `Name it ${stem}.pyd` : `Name it ${stem}.abi3.so (or ${stem}.so)`),
        ).toBe(true);
      }),
    );
  });
});
