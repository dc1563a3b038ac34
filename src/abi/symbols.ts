import type { SourceAbi } from './detect';

/** What a shared library asks of the system when it is loaded. */
export interface LinkNeeds {
  /** DT_NEEDED entries (ELF) or imported DLL names (PE). */
  needed: readonly string[];
  /** Undefined dynamic symbols (ELF) or imported function names (PE). */
  undefined: readonly string[];
}

/**
 * The underscore names CPython's stable ABI includes (Misc/stable_abi.toml); any other `_Py`
 * symbol is private API that changes between Python versions.
 */
const STABLE_PRIVATE = new Set([
  '_PyArg_ParseTupleAndKeywords_SizeT',
  '_PyArg_ParseTuple_SizeT',
  '_PyArg_Parse_SizeT',
  '_PyArg_VaParseTupleAndKeywords_SizeT',
  '_PyArg_VaParse_SizeT',
  '_PyErr_BadInternalCall',
  '_PyObject_CallFunction_SizeT',
  '_PyObject_CallMethod_SizeT',
  '_PyObject_GC_New',
  '_PyObject_GC_NewVar',
  '_PyObject_GC_Resize',
  '_PyObject_New',
  '_PyObject_NewVar',
  '_PyState_AddModule',
  '_PyThreadState_Init',
  '_PyThreadState_Prealloc',
  '_PyWeakref_CallableProxyType',
  '_PyWeakref_ProxyType',
  '_PyWeakref_RefType',
  '_Py_BuildValue_SizeT',
  '_Py_CheckRecursiveCall',
  '_Py_Dealloc',
  '_Py_DecRef',
  '_Py_EllipsisObject',
  '_Py_FalseStruct',
  '_Py_IncRef',
  '_Py_NoneStruct',
  '_Py_NotImplementedStruct',
  '_Py_SwappedOp',
  '_Py_TrueStruct',
  '_Py_VaBuildValue_SizeT',
]);

/** libpython3.12.so.1.0, python312.dll: a library of one Python version (python3.dll is the abi3 one). */
const VERSIONED_PYTHON = /^(?:lib)?python3\.?\d+[a-z]*(?:\.so|\.dll)/i;
/** Mangled C++ names in libtorch's and c10's namespaces: at::, c10::, torch:: (not torch::stable's inline code). */
const LIBTORCH_CXX = /^_ZN(?:K|VK|NK)?(?:2at|3c10|5torch)\d/;
/** The same in MSVC's mangling, whose outermost namespace comes last: ?torchCheckFail@detail@c10@@... */
const LIBTORCH_MSVC = /^\?[^@]+@(?:[^@]+@)*(?:at|c10|torch)@@/;
const LIBTORCH_PYTHON = /^(?:lib)?torch_python\.(?:so|dll)/i;

/** Why a library breaks the ABI its wheel claims, one line per symbol or library; empty when it holds. */
export function abiSymbolProblems(library: string, needs: LinkNeeds, abi: SourceAbi): string[] {
  const problems: string[] = [];
  if (abi.limited) {
    for (const lib of needs.needed.filter((name) => VERSIONED_PYTHON.test(name))) {
      problems.push(`${library} links ${lib}, a library of one Python version, though the wheel claims abi3`);
    }
    for (const symbol of needs.undefined.filter((name) => name.startsWith('_Py') && !STABLE_PRIVATE.has(name))) {
      problems.push(`${library} uses ${symbol}, which is not in the limited API, though the wheel claims abi3`);
    }
  }
  if (abi.stable) {
    for (const lib of needs.needed.filter((name) => LIBTORCH_PYTHON.test(name))) {
      problems.push(`${library} links ${lib}, which is not part of the torch stable ABI`);
    }
    const cxx = needs.undefined.filter((name) => LIBTORCH_CXX.test(name) || LIBTORCH_MSVC.test(name));
    if (cxx.length > 0) {
      problems.push(
        `${library} uses ${cxx.length} libtorch C++ symbol(s) outside the stable ABI, first ${cxx[0]}, though the wheel claims torch >= ${abi.stable.torch}`,
      );
    }
  }
  return problems;
}
