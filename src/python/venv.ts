import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError, inputError } from '../core/errors';
import { runChecked, runProcess, type ProcessRunner } from '../core/exec';
import { torchIndexUrl } from '../torch/releases';
import { inspectPython, type PythonInfo } from './interpreter';

export type TorchRule = 'install' | 'preinstalled' | 'none';
export const TORCH_RULES: readonly TorchRule[] = ['install', 'preinstalled', 'none'];

export const venvExecutable = (dir: string, platform = process.platform): string =>
  platform === 'win32' ? path.join(dir, 'Scripts', 'python.exe') : path.join(dir, 'bin', 'python');

/**
 * A fresh venv from `base`. With `inherit`, the base's site-packages are visible through a .pth
 * file: --system-site-packages alone would skip them when the base is itself a venv.
 */
export async function createVenv(
  base: PythonInfo,
  dir: string,
  options: { inherit?: boolean; runner?: ProcessRunner } = {},
): Promise<PythonInfo> {
  const runner = options.runner ?? runProcess;
  await runChecked(base.executable, ['-m', 'venv', dir], {}, runner);
  const venv = await inspectPython(venvExecutable(dir), runner);
  if (!venv) throw new Error(`the venv made in ${dir} does not run`);
  if (options.inherit) {
    const pth = path.join(venv.sitePackages[0]!, '_sagewheels_parent.pth');
    await writeFile(pth, base.sitePackages.join('\n') + '\n');
  }
  return venv;
}

export interface TorchInfo {
  /** "2.11.0+cu130" */
  version: string;
  /** "13.0", or undefined for a CPU build */
  cuda?: string;
}

/** What `import torch` gives in this interpreter: its version and CUDA, or the interpreter's last error line. */
export async function importTorch(
  python: string,
  runner: ProcessRunner = runProcess,
): Promise<{ info: TorchInfo } | { error: string }> {
  const probe = 'import json, torch; print(json.dumps({"version": torch.__version__, "cuda": torch.version.cuda}))';
  const result = await runner(python, ['-c', probe]);
  if (result.code !== 0) {
    const lines = `${result.stdout}\n${result.stderr}`.split('\n').map((line) => line.trim());
    return { error: lines.filter(Boolean).pop() ?? `exit code ${result.code}` };
  }
  const info = JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}') as { version: string; cuda: string | null };
  return { info: { version: info.version, cuda: info.cuda ?? undefined } };
}

/** The torch a venv imports, or undefined when it has none. */
export async function torchInfo(python: string, runner: ProcessRunner = runProcess): Promise<TorchInfo | undefined> {
  const result = await importTorch(python, runner);
  return 'info' in result ? result.info : undefined;
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
  const result = await importTorch(python, runner);
  if ('error' in result) {
    if (rule === 'install')
      throw new ConfigurationError(`torch: torch==${want.version} was installed but does not import: ${result.error}`);
    // No torch at all, or a torch that fails for another reason (a missing dependency): say which.
    throw /No module named '?torch'?$/.test(result.error)
      ? inputError(
          'torch',
          `"preinstalled" but ${python} has no torch (${result.error})`,
          'Use torch: install with torch-version, or an interpreter that has torch',
        )
      : inputError(
          'torch',
          `"preinstalled" but import torch fails in ${python}: ${result.error}`,
          "Fix that interpreter's packages, or use torch: install with torch-version",
        );
  }
  return result.info;
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
