import path from 'node:path';
import type { Arch } from '../arch/arch';
import { errorMessage, inputError } from '../core/errors';
import { readList } from '../core/list';
import { runProcess, type ProcessRunner } from '../core/exec';
import type { PackageProfile } from '../packages/profiles';
import { findPython, type PythonInfo } from '../python/interpreter';
import type { TorchRule } from '../python/venv';
import { wheelFiles } from '../wheel/files';
import { localLabel, parseWheelName, type WheelName } from '../wheel/name';
import type { TorchWanted } from './environment';

export type RuntimeTest = 'auto' | 'always' | 'never';

export interface VerifyOptions {
  /** The package, or `auto`: each wheel's, by the project its METADATA names. */
  profile: PackageProfile | 'auto';
  wheels: readonly string[];
  requested: readonly Arch[];
  /** An interpreter path or version for every wheel; absent: each wheel's own cpXY. */
  python?: string;
  torch: TorchRule;
  torchVersion?: string;
  torchIndexUrl?: string;
  runtimeTest: RuntimeTest;
  /** Pythons ("3.10") and torches ("2.10.0") the wheel must also install and import on (the matrix's test-pythons, test-torches). */
  testPythons?: readonly string[];
  testTorches?: readonly string[];
  /** Where the test venvs go (each removed after its wheel). */
  workDir: string;
  runner?: ProcessRunner;
}

/** The `wheels` input: a JSON list (build's output), or paths, folders and globs by line or comma. */
export async function findWheels(spec: string, cwd = process.cwd()): Promise<string[]> {
  return wheelFiles(readList(spec, 'lines', 'wheels'), cwd);
}

export interface WheelPlan {
  file: string;
  name: WheelName;
  base: PythonInfo;
  torch: TorchWanted;
}

/** Everything a user can get wrong, checked for every wheel before any venv is made. */
export async function planWheels(options: VerifyOptions): Promise<WheelPlan[]> {
  if (options.runtimeTest === 'always' && options.torch === 'none') {
    throw inputError(
      'runtime-test',
      '"always" needs torch in the test venv, and torch is "none"',
      'Use torch: install or preinstalled, or runtime-test: auto',
    );
  }
  const runner = options.runner ?? runProcess;
  const pythons = new Map<string, Promise<PythonInfo>>();
  const python = (spec: string) => {
    if (!pythons.has(spec)) pythons.set(spec, findPython(spec, runner));
    return pythons.get(spec)!;
  };
  const plans: WheelPlan[] = [];
  for (const file of options.wheels) {
    let name: WheelName;
    try {
      name = parseWheelName(path.basename(file));
    } catch (error) {
      throw inputError('wheels', errorMessage(error), 'Every file must be a wheel named as PEP 427 says');
    }
    const cp = /^cp(\d)(\d+)$/.exec(name.python.split('.')[0]!);
    if (!options.python && !cp) {
      throw inputError(
        'python',
        `not given, and ${path.basename(file)} names no CPython version (${name.python})`,
        'Give an interpreter path or a version like 3.12',
      );
    }
    const base = await python(options.python ?? `${cp![1]}.${cp![2]}`);
    if (cp && name.abi !== 'abi3' && !base.version.startsWith(`${cp[1]}.${cp[2]}.`)) {
      throw inputError(
        'python',
        `Python ${base.version} cannot install ${path.basename(file)}, which is for ${name.python}`,
        "Leave python empty to use each wheel's own Python, or give a matching one",
      );
    }
    plans.push({ file, name, base, torch: torchWanted(options, name, file) });
  }
  return plans;
}

/** "+cu128torch2.7.1" -> CUDA 12.8 and torch 2.7.1. */
function labelOf(name: WheelName): { cuda?: string; torch?: string } {
  const match = /^cu(\d+)(\d)(?:torch(\d[\d.]*))?/.exec(localLabel(name.version) ?? '');
  return match ? { cuda: `${match[1]}.${match[2]}`, torch: match[3] } : {};
}

function torchWanted(options: VerifyOptions, name: WheelName, file: string): TorchWanted {
  const label = labelOf(name);
  const wanted: TorchWanted = {
    rule: options.torch,
    version: options.torchVersion ?? label.torch,
    cuda: label.cuda ?? '',
    indexUrl: options.torchIndexUrl,
  };
  if (options.torch === 'install') {
    if (!wanted.version) {
      throw inputError(
        'torch-version',
        `not given, and ${path.basename(file)} names no torch in its version`,
        'Give torch-version (like 2.7.1) with torch: install',
      );
    }
    if (!wanted.indexUrl && !wanted.cuda) {
      throw inputError(
        'torch-index-url',
        `not given, and ${path.basename(file)} names no CUDA in its version`,
        'Give torch-index-url (like https://download.pytorch.org/whl/cu128)',
      );
    }
  }
  return wanted;
}
