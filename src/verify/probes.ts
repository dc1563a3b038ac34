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
 * modules it names). No kernel runs, no GPU is needed.
 */
export const DISPATCH_PROBE = `${EMIT}
import importlib, importlib.machinery, inspect, json, sys, types

package, dispatcher, capabilities = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
import torch

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
    found, seen, todo = set(), set(), [function]
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if is_extension(obj):
            found.add(name_of(obj))
        elif isinstance(obj, types.ModuleType):
            if in_package(obj.__name__):
                found |= {name_of(value) for value in vars(obj).values() if is_extension(value)}
        elif isinstance(obj, types.BuiltinFunctionType):
            owner = getattr(obj, "__self__", None)
            if is_extension(owner):
                found.add(name_of(owner))
        elif callable(obj) and in_package(getattr(obj, "__module__", "")):
            function = inspect.unwrap(obj)
            code = getattr(function, "__code__", None)
            if code is not None:
                scope = function.__globals__
                todo.extend(scope[name] for name in code_names(code) if name in scope)
    return sorted(found)

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
        entry["modules"] = reached(originals[entry["function"]])
emit(results)
`;

/**
 * argv: package, dispatcher function or "", JSON list of the capabilities the wheel serves.
 * Reports the GPU; with a dispatcher and a GPU the wheel serves, runs it on random fp16
 * q, k, v (2x16x4096x128, HND) and compares with PyTorch's SDPA.
 */
export const RUNTIME_PROBE = `${EMIT}
import importlib, json, sys
package, dispatcher, served = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
import torch
if not torch.cuda.is_available() or torch.cuda.device_count() == 0:
    emit({"gpu": None})
    sys.exit(0)
major, minor = torch.cuda.get_device_capability(0)
result = {"gpu": torch.cuda.get_device_name(0), "capability": "%d.%d" % (major, minor)}
if dispatcher and result["capability"] in served:
    try:
        attention = getattr(importlib.import_module(package), dispatcher)
        torch.manual_seed(0)
        q, k, v = (torch.randn(2, 16, 4096, 128, dtype=torch.float16, device="cuda") for _ in range(3))
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
