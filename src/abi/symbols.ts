import { compareVersions } from '../core/version';
import type { SourceAbi } from './detect';
import { STABLE_ABI_ADDED } from './stable-abi';

/** What a shared library asks of the system when it is loaded. */
export interface LinkNeeds {
  /** DT_NEEDED entries (ELF) or imported DLL names (PE). */
  needed: readonly string[];
  /** Undefined dynamic symbols (ELF) or imported function names (PE). */
  undefined: readonly string[];
}

/** Each function and data name of CPython's stable ABI, with the version that added it. */
const STABLE_ABI = new Map(
  Object.entries(STABLE_ABI_ADDED).flatMap(([version, names]) =>
    names
      .trim()
      .split(/\s+/)
      .map((name) => [name, version] as const),
  ),
);

/** The Python version whose stable ABI first has this function or data, or undefined when none has it. */
export const stableAbiAdded = (name: string): string | undefined => STABLE_ABI.get(name);

/** CPython's own names (Py_..., PyLong_..., _Py_..., _PyObject_...): what libpython or python3.dll must give. */
const PYTHON_SYMBOL = /^_?Py(?:_|[A-Z])/;
/** abi3 has no minor before 3.2; a wheel tagged cp3-abi3 or py3-abi3 claims that floor. */
const OLDEST_STABLE_ABI = '3.2';

/** libpython3.12.so.1.0, python312.dll: a library of one Python version (python3.dll is the abi3 one). */
const VERSIONED_PYTHON = /^(?:lib)?python3\.?\d+[a-z]*(?:\.so|\.dll)/i;
const LIBTORCH_PYTHON = /^(?:lib)?torch_python\.(?:so|dll)/i;

/**
 * An Itanium-mangled name (GCC, Clang) that names at::, c10:: or torch:: anywhere: the entity
 * itself or a type in its signature. Every kind of C++ symbol spells a namespace the same way,
 * as a nested name `N<length><name>...`: functions `_ZN3c10...`, vtables `_ZTVN3c10...`, typeinfo
 * `_ZTI`/`_ZTS`, VTTs `_ZTT`, guard variables `_ZGVZN...`, thunks `_ZThn8_N...`, `_ZTv`, `_ZTc`,
 * TLS wrappers `_ZTW`, local statics `_ZZN...`. torch::stable and torch::headeronly are the
 * stable ABI's header-only C++, built into the module itself.
 */
const LIBTORCH_ITANIUM = /N[rVK]*[RO]?(?:2at|3c10|5torch(?!6stable|10headeronly))/;
/**
 * The same in MSVC's mangling, where a qualified name runs innermost first and its outermost
 * namespace ends at `@@`: `?torchCheckFail@detail@c10@@...`, vftables `??_7StorageImpl@c10@@6B@`,
 * RTTI `??_R0?AVStorageImpl@c10@@@8` ... `??_R4`, constructors `??0`, guards `??_B`, templates `?$`.
 */
const LIBTORCH_MSVC = /[@?$](?:at|c10|(?<!@stable@|@headeronly@)torch)@@/;

/** A C++ symbol that only libtorch (libc10, libtorch_cpu, their DLLs) defines. */
export function isLibtorchCxx(symbol: string): boolean {
  if (symbol.startsWith('_Z')) return LIBTORCH_ITANIUM.test(symbol);
  if (symbol.startsWith('?')) return LIBTORCH_MSVC.test(symbol);
  return false;
}

/**
 * Why a CPython symbol breaks a claim of abi3 from Python `floor`: not in the stable ABI at all,
 * or added after the oldest Python the wheel claims (where loading it fails).
 */
export function stableAbiProblem(symbol: string, floor: string): string | undefined {
  const added = stableAbiAdded(symbol);
  if (!added) return `uses ${symbol}, which is not in CPython's stable ABI`;
  if (compareVersions(added, floor) > 0)
    return `uses ${symbol}, which joined CPython's stable ABI in Python ${added}, after Python ${floor}`;
  return undefined;
}

/** Why a library breaks the ABI its wheel claims, one line per symbol or library; empty when it holds. */
export function abiSymbolProblems(library: string, needs: LinkNeeds, abi: SourceAbi): string[] {
  const problems: string[] = [];
  if (abi.limited) {
    const floor = /^\d+\.\d+$/.test(abi.limited.python) ? abi.limited.python : OLDEST_STABLE_ABI;
    for (const lib of needs.needed.filter((name) => VERSIONED_PYTHON.test(name))) {
      problems.push(`${library} links ${lib}, a library of one Python version, though the wheel claims abi3`);
    }
    for (const symbol of needs.undefined.filter((name) => PYTHON_SYMBOL.test(name))) {
      const why = stableAbiProblem(symbol, floor);
      if (why) problems.push(`${library} ${why}, though the wheel claims abi3 from Python ${floor}`);
    }
  }
  if (abi.stable) {
    for (const lib of needs.needed.filter((name) => LIBTORCH_PYTHON.test(name))) {
      problems.push(`${library} links ${lib}, which is not part of the torch stable ABI`);
    }
    const cxx = needs.undefined.filter(isLibtorchCxx);
    if (cxx.length > 0) {
      problems.push(
        `${library} uses ${cxx.length} libtorch C++ symbol(s) outside the stable ABI, first ${cxx[0]}, though the wheel claims torch >= ${abi.stable.torch}`,
      );
    }
  }
  return problems;
}
