/*
 * Python run inside each wheel's venv (`python -I -c <probe> <args>`). Each prints one line
 * `SAGEWHEELS_RESULT <json>` after whatever the package itself prints.
 */
export const RESULT_MARKER = 'SAGEWHEELS_RESULT ';

const EMIT = `
def emit(value):
    import json
    print(${JSON.stringify(RESULT_MARKER)} + json.dumps(value), flush=True)
`;

/** argv: JSON list of module names. Imports each in turn; reports each error as Python says it. */
export const IMPORT_PROBE = `${EMIT}
import importlib, json, sys, traceback
results = []
for name in json.loads(sys.argv[1]):
    try:
        module = importlib.import_module(name)
        results.append({"module": name, "file": getattr(module, "__file__", None)})
    except BaseException as error:
        results.append({"module": name, "error": "".join(traceback.format_exception_only(type(error), error)).strip()})
emit(results)
`;

/**
 * argv: package, dispatcher function, JSON list of [major, minor]. For each capability, with
 * torch.cuda reporting one GPU of it, calls the dispatcher on stand-in tensors and stops at the
 * first function of its module that receives them: the path it picked. Then walks that
 * function's code for the extension modules it reaches (through the functions and package
 * modules it names), and the torch.ops namespaces it reaches, each mapped to the extension
 * module whose loading registered its ops (woct0rdho's abi3 branch:
 * `_qattn_sm90 = torch.ops.sageattention_qattn_sm90`). No kernel runs, no GPU is needed.
 */
export const DISPATCH_PROBE = `${EMIT}
import importlib, importlib.machinery, inspect, json, sys, types

package, dispatcher, capabilities = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
import torch

# Which extension module registered which torch.ops namespace: the dispatcher's op names
# before and after each extension module is loaded (its static initializers register them).
registrars = {}
def op_names():
    getter = getattr(getattr(torch, "_C", None), "_dispatch_get_all_op_names", None)
    try:
        return set(getter()) if getter else set()
    except Exception:
        return set()
create_extension = importlib.machinery.ExtensionFileLoader.create_module
def create_module(self, spec):
    before = op_names()
    module = create_extension(self, spec)
    for op in op_names() - before:
        registrars.setdefault(op.split("::")[0], spec.name)
    return module
importlib.machinery.ExtensionFileLoader.create_module = create_module

def namespace_of(obj):
    kind = type(obj).__name__
    if kind == "_OpNamespace":
        return getattr(obj, "name", None)
    if kind == "OpOverloadPacket":
        return (getattr(obj, "_qualified_op_name", "") or "").split("::")[0] or None
    if kind == "OpOverload":
        return getattr(obj, "namespace", None)
    return None

reported = {"capability": tuple(capabilities[0])}
torch.cuda.get_device_capability = lambda device=None: reported["capability"]
torch.cuda.device_count = lambda: 1
torch.cuda.is_available = lambda: True

SUFFIXES = tuple(importlib.machinery.EXTENSION_SUFFIXES) + (".so", ".pyd")

def is_extension(module):
    return isinstance(module, types.ModuleType) and str(getattr(module, "__file__", "") or "").endswith(SUFFIXES)

def name_of(module):
    # An extension module's own __name__ is what its C code says (pybind11: the short name).
    spec = getattr(module, "__spec__", None)
    return getattr(spec, "name", None) or module.__name__

def in_package(name):
    return name == package or str(name).startswith(package + ".")

def code_names(code):
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= code_names(const)
    return names

def reached(function):
    found, seen, todo, namespaces = set(), set(), [function], {}
    def through(namespace):
        namespaces[namespace] = registrars.get(namespace)
        if namespace in registrars:
            found.add(registrars[namespace])
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        namespace = namespace_of(obj)
        if namespace:
            through(namespace)
        elif is_extension(obj):
            found.add(name_of(obj))
        elif isinstance(obj, types.ModuleType):
            if in_package(obj.__name__):
                found |= {name_of(value) for value in vars(obj).values() if is_extension(value)}
                for value in vars(obj).values():
                    if namespace_of(value):
                        through(namespace_of(value))
        elif isinstance(obj, types.BuiltinFunctionType):
            owner = getattr(obj, "__self__", None)
            if is_extension(owner):
                found.add(name_of(owner))
        elif callable(obj) and in_package(getattr(obj, "__module__", "")):
            function = inspect.unwrap(obj)
            code = getattr(function, "__code__", None)
            if code is not None:
                scope = function.__globals__
                names = code_names(code)
                todo.extend(scope[name] for name in names if name in scope)
                # torch.ops.<namespace>.<op>(...) written out in the code
                for name in names & set(registrars):
                    through(name)
    return sorted(found), namespaces

class Chosen(Exception):
    pass

class StandIn:
    """What a dispatcher reads of q before it picks a path: the device and dtype."""
    def __init__(self):
        self.device = types.SimpleNamespace(type="cuda", index=0)
        self.dtype = torch.float16
        self.is_cuda = True

results = []
try:
    home = sys.modules[getattr(importlib.import_module(package), dispatcher).__module__]
except BaseException as error:
    emit([{"capability": "%d.%d" % tuple(c), "error": "%s: %s" % (type(error).__name__, error)} for c in capabilities])
    sys.exit(0)
for major, minor in capabilities:
    entry = {"capability": "%d.%d" % (major, minor)}
    results.append(entry)
    reported["capability"] = (major, minor)
    # Some dispatchers read the capability once, at import.
    home = importlib.reload(home)
    q, k, v = StandIn(), StandIn(), StandIn()
    originals = {}
    for name, value in list(vars(home).items()):
        if inspect.isfunction(value) and value.__module__ == home.__name__ and name != dispatcher:
            def recorder(*args, __name=name, __original=value, **kwargs):
                if any(arg is q for arg in list(args) + list(kwargs.values())):
                    entry["function"] = __name
                    raise Chosen()
                return __original(*args, **kwargs)
            originals[name] = value
            setattr(home, name, recorder)
    try:
        getattr(home, dispatcher)(q, k, v)
        entry["error"] = "%s returned without calling a kernel path" % dispatcher
    except Chosen:
        pass
    except BaseException as error:
        entry["error"] = "%s: %s" % (type(error).__name__, error)
    finally:
        for name, value in originals.items():
            setattr(home, name, value)
    if "function" in entry:
        entry["modules"], namespaces = reached(originals[entry["function"]])
        if namespaces:
            entry["namespaces"] = namespaces
emit(results)
`;

/**
 * argv: package, attention function or "", layout (HND or NHD), JSON list of the capabilities
 * the wheel serves (empty: any GPU, Triton). Reports the GPU; with a function and a GPU the
 * wheel serves, runs it on random fp16 q, k, v (2 x 16 heads x 4096 x 128) and compares with
 * PyTorch's SDPA.
 */
export const RUNTIME_PROBE = `${EMIT}
import importlib, json, sys
package, dispatcher, layout, served = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
import torch
if not torch.cuda.is_available() or torch.cuda.device_count() == 0:
    emit({"gpu": None})
    sys.exit(0)
major, minor = torch.cuda.get_device_capability(0)
result = {"gpu": torch.cuda.get_device_name(0), "capability": "%d.%d" % (major, minor)}
if dispatcher and (not served or result["capability"] in served):
    try:
        attention = getattr(importlib.import_module(package), dispatcher)
        torch.manual_seed(0)
        q, k, v = (torch.randn(2, 16, 4096, 128, dtype=torch.float16, device="cuda") for _ in range(3))
        if layout == "NHD":
            out = attention(*(t.transpose(1, 2).contiguous() for t in (q, k, v)), causal=False).transpose(1, 2)
        else:
            out = attention(q, k, v, tensor_layout="HND", is_causal=False)
        reference = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=False)
        torch.cuda.synchronize()
        result["finite"] = bool(torch.isfinite(out).all().item())
        result["cosine"] = torch.nn.functional.cosine_similarity(out.float().flatten(), reference.float().flatten(), dim=0).item()
    except BaseException as error:
        result["error"] = "%s: %s" % (type(error).__name__, error)
emit(result)
`;

/** The JSON a probe printed, or an error that quotes the end of its output. */
export function probeResult<T>(stdout: string, stderr: string): T {
  const line = stdout
    .split(/\r?\n/)
    .reverse()
    .find((l) => l.startsWith(RESULT_MARKER));
  if (!line) {
    const tail = `${stdout}\n${stderr}`.trim().split(/\r?\n/).slice(-15).join('\n');
    throw new Error(`the probe printed no result:\n${tail}`);
  }
  return JSON.parse(line.slice(RESULT_MARKER.length)) as T;
}
