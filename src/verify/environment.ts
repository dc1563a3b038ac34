import path from 'node:path';
import { runChecked, runProcess, type ProcessRunner } from '../core/exec';
import type { PythonInfo } from '../python/interpreter';
import { createVenv, provideTorch, type TorchInfo, type TorchRule } from '../python/venv';
import { probeResult } from './probes';

export interface TorchWanted {
  rule: TorchRule;
  version?: string;
  cuda: string;
  indexUrl?: string;
}

/** A fresh venv in `dir` with torch by the rule and the wheel installed, nothing else. */
export interface TestEnvironment {
  python: PythonInfo;
  torch?: TorchInfo;
  dir: string;
}

export async function prepareEnvironment(
  base: PythonInfo,
  wheel: string,
  torch: TorchWanted,
  dir: string,
  runner: ProcessRunner = runProcess,
): Promise<TestEnvironment> {
  const python = await createVenv(base, path.join(dir, 'venv'), { inherit: torch.rule === 'preinstalled', runner });
  const torchInfo = await provideTorch(python.executable, torch.rule, torch, runner);
  // --no-deps: what is tested is this wheel against this torch, not what an index has today.
  await runChecked(
    python.executable,
    ['-m', 'pip', 'install', '--no-deps', '--no-input', '--disable-pip-version-check', wheel],
    { cwd: dir },
    runner,
  );
  return { python, torch: torchInfo, dir };
}

/**
 * Runs a probe isolated from the caller: `-I` drops PYTHONPATH, the user site and the
 * current folder from sys.path, and the folder is the venv's own, outside any source tree.
 */
export async function runProbe<T>(
  env: TestEnvironment,
  script: string,
  args: readonly string[],
  runner: ProcessRunner = runProcess,
): Promise<T> {
  const result = await runner(env.python.executable, ['-I', '-c', script, ...args], { cwd: env.dir });
  return probeResult<T>(result.stdout, result.stderr);
}
