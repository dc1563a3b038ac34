import { writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The variable that turns the presentation on (set for the build only). */
export const CAPABILITY_VARIABLE = 'SAGEWHEELS_DEVICE_CAPABILITY';

/**
 * Loaded at every start of the build venv's Python (a .pth line): while the variable is set,
 * torch.cuda.get_device_capability() reports that GPU, for setup.py files that choose their arch
 * from the GPU in the machine. torch itself is not imported until setup.py imports it.
 */
const MODULE = `import os, sys

_capability = os.environ.get(${JSON.stringify(CAPABILITY_VARIABLE)})
if _capability:
    import importlib.abc, importlib.util

    _reported = tuple(int(part) for part in _capability.split("."))

    class _PresentCapability(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name != "torch.cuda":
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec(name)
            if spec is None or spec.loader is None:
                return spec
            run = spec.loader.exec_module

            def exec_module(module):
                run(module)
                module.get_device_capability = lambda device=None: _reported

            spec.loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, _PresentCapability())
`;

/** Installs the hook into a venv sagewheels made; returns the variables that turn it on. */
export async function presentCapability(sitePackages: string, capability: string): Promise<Record<string, string>> {
  await writeFile(path.join(sitePackages, '_sagewheels_capability.py'), MODULE);
  await writeFile(path.join(sitePackages, '_sagewheels_capability.pth'), 'import _sagewheels_capability\n');
  return { [CAPABILITY_VARIABLE]: capability };
}
