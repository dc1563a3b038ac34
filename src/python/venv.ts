import { existsSync } from 'node:fs';
import { chmod, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError, inputError } from '../core/errors';
import { runChecked, runProcess, type ProcessRunner } from '../core/exec';
import { torchIndexUrl } from '../torch/releases';
import { extractZip } from '../wheel/zip';
import { inspectPython, type PythonInfo } from './interpreter';

export type TorchRule = 'install' | 'preinstalled' | 'none';
export const TORCH_RULES: readonly TorchRule[] = ['install', 'preinstalled', 'none'];

export const venvExecutable = (dir: string, platform = process.platform): string =>
  platform === 'win32' ? path.join(dir, 'Scripts', 'python.exe') : path.join(dir, 'bin', 'python');

/**
 * The wheels ensurepip would install (pip; setuptools too before Python 3.12), from where it takes
 * them: the standard library's own, or the distribution's WHEEL_PKG_DIR (Debian's and Ubuntu's
 * Pythons, whose ensurepip is otherwise 2-5 s of pip installing pip). None when neither has them all.
 */
async function bundledWheels(base: PythonInfo): Promise<string[]> {
  const projects = Number(base.version.split('.')[1]) >= 12 ? ['pip'] : ['pip', 'setuptools'];
  for (const dir of [base.stdlib && path.join(base.stdlib, 'ensurepip', '_bundled'), base.wheelPkgDir]) {
    if (!dir) continue;
    const names = await readdir(dir).catch(() => [] as string[]);
    const wheels = projects.map((project) =>
      names.find((name) => name.startsWith(`${project}-`) && name.endsWith('.whl')),
    );
    if (wheels.every(Boolean)) return wheels.map((name) => path.join(dir, name!));
  }
  return [];
}

/** What a venv made from `base` in `dir` is, from the layout venv gives it, without starting it. */
function venvInfo(base: PythonInfo, dir: string, platform: NodeJS.Platform): PythonInfo | undefined {
  const [major, minor] = base.version.split('.');
  const site =
    platform === 'win32'
      ? path.join(dir, 'Lib', 'site-packages')
      : path.join(dir, 'lib', `python${major}.${minor}`, 'site-packages');
  const executable = venvExecutable(dir, platform);
  if (!existsSync(site) || !existsSync(executable)) return undefined;
  return {
    executable,
    version: base.version,
    prefix: dir,
    basePrefix: base.basePrefix,
    sitePackages: [site],
    stdlib: base.stdlib,
  };
}

/**
 * A fresh venv from `base`. With `inherit`, the base's site-packages are visible through a .pth
 * file: --system-site-packages alone would skip them when the base is itself a venv.
 *
 * pip goes in by unpacking the wheels ensurepip would install: the same files, without running
 * pip to install pip (3 of the 3.5 s a venv took). Pythons without bundled wheels run ensurepip.
 */
export async function createVenv(
  base: PythonInfo,
  dir: string,
  options: { inherit?: boolean; runner?: ProcessRunner; platform?: NodeJS.Platform } = {},
): Promise<PythonInfo> {
  const runner = options.runner ?? runProcess;
  const platform = options.platform ?? process.platform;
  const bundled = await bundledWheels(base);
  await runChecked(base.executable, ['-m', 'venv', ...(bundled.length > 0 ? ['--without-pip'] : []), dir], {}, runner);
  const venv = venvInfo(base, dir, platform) ?? (await inspectPython(venvExecutable(dir, platform), runner));
  if (!venv) throw new Error(`the venv made in ${dir} does not run`);
  const site = venv.sitePackages[0]!;
  for (const wheel of bundled) await extractZip(wheel, site);
  // The commands ensurepip would have left; a setup.py may run "pip" from PATH. (Windows needs launchers: python -m pip there.)
  if (bundled.length > 0 && platform !== 'win32') {
    const [major, minor] = base.version.split('.');
    for (const name of ['pip', `pip${major}`, `pip${major}.${minor}`]) {
      const script = path.join(path.dirname(venv.executable), name);
      await writeFile(
        script,
        `#!${venv.executable}\nimport sys\nfrom pip._internal.cli.main import main\nsys.exit(main())\n`,
      );
      await chmod(script, 0o755);
    }
  }
  if (options.inherit) {
    const pth = path.join(site, '_sagewheels_parent.pth');
    await writeFile(pth, base.sitePackages.join('\n') + '\n');
  }
  return venv;
}

export interface TorchInfo {
  /** "2.11.0+cu130" */
  version: string;
  /** "13.0", or undefined for a CPU build */
  cuda?: string;
  /** The torch package's folder (its headers are in include/). */
  dir?: string;
}

/** What `import torch` gives in this interpreter: its version and CUDA, or the interpreter's last error line. */
export async function importTorch(
  python: string,
  runner: ProcessRunner = runProcess,
): Promise<{ info: TorchInfo } | { error: string }> {
  const probe =
    'import json, os, torch; print(json.dumps({"version": torch.__version__, "cuda": torch.version.cuda, "dir": os.path.dirname(torch.__file__)}))';
  const result = await runner(python, ['-c', probe]);
  if (result.code !== 0) {
    const lines = `${result.stdout}\n${result.stderr}`.split('\n').map((line) => line.trim());
    return { error: lines.filter(Boolean).pop() ?? `exit code ${result.code}` };
  }
  return { info: parseTorchInfo(result.stdout) };
}

/** The last line a torch probe printed: {"version": ..., "cuda": ... or null, "dir": ...}. */
function parseTorchInfo(stdout: string): TorchInfo {
  const info = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
    version: string;
    cuda: string | null;
    dir?: string;
  };
  return { version: info.version, cuda: info.cuda ?? undefined, dir: info.dir };
}

// torch/version.py alone: importing torch itself takes seconds (its CUDA libraries), and the build imports it anyway.
const TORCH_PROBE = [
  'import importlib.util, json, os, runpy',
  'spec = importlib.util.find_spec("torch")',
  'where = list(spec.submodule_search_locations or []) if spec else []',
  'info = runpy.run_path(os.path.join(where[0], "version.py")) if where else None',
  'version = info and info.get("__version__")',
  'if info and not version:',
  '    import torch', // a version.py without __version__ (older or stand-in torch): the slow way
  '    version = torch.__version__',
  'print(json.dumps(version and {"version": version, "cuda": info.get("cuda"), "dir": where[0]}))',
].join('\n');

/** The torch a venv has (its version.py, not an import of torch), or undefined when it has none. */
export async function torchVersionInfo(
  python: string,
  runner: ProcessRunner = runProcess,
): Promise<TorchInfo | undefined> {
  const result = await runner(python, ['-c', TORCH_PROBE]);
  if (result.code !== 0 || result.stdout.trim().endsWith('null')) return undefined;
  return parseTorchInfo(result.stdout);
}

/**
 * Puts torch into the venv by the rule: `install` exactly torch==version from the CUDA index,
 * `preinstalled` the base interpreter's own (the venv must inherit it), `none` nothing.
 */
export async function provideTorch(
  python: string,
  rule: TorchRule,
  want: { version?: string; cuda: string; indexUrl?: string },
  runner: ProcessRunner = runProcess,
): Promise<TorchInfo | undefined> {
  if (rule === 'none') return undefined;
  if (rule === 'install') {
    if (!want.version) throw new ConfigurationError('torch-version: required when torch is "install"');
    const indexUrl = want.indexUrl ?? torchIndexUrl(want.cuda);
    await runChecked(python, ['-m', 'pip', 'install', `torch==${want.version}`, '--index-url', indexUrl], {}, runner);
  }
  // Its version.py says enough: importing torch takes seconds, and the build imports it anyway (a
  // build that fails asks torchImportProblem). Without one, the import tells what is wrong.
  const found = await torchVersionInfo(python, runner);
  if (found) return found;
  const result = await importTorch(python, runner);
  if ('info' in result) return result.info;
  if (rule === 'install')
    throw new ConfigurationError(`torch: torch==${want.version} was installed but does not import: ${result.error}`);
  throw preinstalledTorchError(python, result.error);
}

/** No torch at all, or a torch that fails for another reason (a missing dependency): says which. */
function preinstalledTorchError(python: string, error: string): ConfigurationError {
  return /No module named '?torch'?$/.test(error)
    ? inputError(
        'torch',
        `"preinstalled" but ${python} has no torch (${error})`,
        'Use torch: install with torch-version, or an interpreter that has torch',
      )
    : inputError(
        'torch',
        `"preinstalled" but import torch fails in ${python}: ${error}`,
        "Fix that interpreter's packages, or use torch: install with torch-version",
      );
}

/** Why a preinstalled torch does not import, in the interpreter's own words; undefined when it does. */
export async function torchImportProblem(
  python: string,
  runner: ProcessRunner = runProcess,
): Promise<ConfigurationError | undefined> {
  const result = await importTorch(python, runner);
  return 'error' in result ? preinstalledTorchError(python, result.error) : undefined;
}

/**
 * Header folders of the nvidia-* wheels in the venv (nvidia/cu13/include, nvidia/cublas/include):
 * PyTorch's Linux CUDA builds install cuBLAS, cuSPARSE, cuSOLVER and cuRAND there, and
 * ATen/cuda/CUDAContext.h includes their headers, which a redist toolkit of nvcc alone lacks.
 */
export async function nvidiaIncludeDirs(python: string, runner: ProcessRunner = runProcess): Promise<string[]> {
  const probe = [
    'import glob, json, os, sys',
    'dirs = {d for p in sys.path if p for d in glob.glob(os.path.join(p, "nvidia", "*", "include"))}',
    'print(json.dumps(sorted(dirs)))',
  ].join('\n');
  const result = await runner(python, ['-c', probe]);
  return result.code === 0 ? (JSON.parse(result.stdout.trim().split('\n').pop() ?? '[]') as string[]) : [];
}
