import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { SourceAbi } from '../abi/detect';
import { abiSymbolProblems } from '../abi/symbols';
import type { Log } from '../core/context';
import { errorMessage, inputError } from '../core/errors';
import type { ProcessRunner } from '../core/exec';
import { majorMinor } from '../core/version';
import { findPython, type PythonInfo } from '../python/interpreter';
import { localLabel, type WheelName } from '../wheel/name';
import { prepareEnvironment, runProbe, type TorchWanted } from './environment';
import { IMPORT_PROBE } from './probes';
import type { ExtensionFile } from './wheel';

/** One Python x torch a wheel was installed and imported on, or why it was not. */
export interface Combination {
  python: string;
  torch?: string;
  status: 'passed' | 'failed' | 'not tested here';
  /** The import error, or why the machine could not test it. */
  error?: string;
}

/** What a wheel claims beyond its build: abi3 by its tag (cp310-abi3), torch's stable ABI by its label ("andhigher"). */
export function claimedAbi(name: WheelName): SourceAbi {
  const abi: SourceAbi = {};
  if (name.abi.split('.').includes('abi3')) {
    const cp = /^cp(\d)(\d+)$/.exec(name.python.split('.')[0]!);
    abi.limited = { python: cp ? `${cp[1]}.${cp[2]}` : '3' };
  }
  const label = localLabel(name.version) ?? '';
  const stable = /torch(\d+\.\d+)[\d.]*andhigher$/i.exec(label);
  if (stable) abi.stable = { torch: stable[1]!, evidence: `its label +${label}` };
  return abi;
}

/**
 * The file-name endings every CPython from 3.2 on imports an extension module by: `.abi3.so` or a
 * bare `.so`, and on Windows only a bare `.pyd`. `_k.cpython-312-x86_64-linux-gnu.so` or
 * `_k.cp312-win_amd64.pyd` is found by Python 3.12 alone.
 */
const ABI3_MODULE_ENDINGS = new Set(['.so', '.abi3.so', '.pyd']);

/** Extension modules of an abi3 wheel named for one Python version; one line each. */
export function moduleNameProblems(modules: readonly ExtensionFile[], abi: SourceAbi): string[] {
  if (!abi.limited) return [];
  return modules.flatMap((ext) => {
    const leaf = ext.path.split('/').pop()!;
    const stem = leaf.split('.')[0]!;
    const ending = leaf.slice(stem.length);
    if (ABI3_MODULE_ENDINGS.has(ending)) return [];
    const allowed = ending.endsWith('.pyd') ? `${stem}.pyd` : `${stem}.abi3.so (or ${stem}.so)`;
    return [
      `${ext.path} is named for one Python version (${ending}), though the wheel claims abi3: other Pythons do not import it. Name it ${allowed}`,
    ];
  });
}

/** Each extension module's name, libraries and undefined symbols against what the wheel claims; one line per breach. */
export function claimProblems(modules: readonly ExtensionFile[], abi: SourceAbi): string[] {
  if (!abi.limited && !abi.stable) return [];
  return moduleNameProblems(modules, abi).concat(
    modules.flatMap((ext) => {
      const { elf, pe } = ext.binary ?? {};
      // An ELF too large to read is already a problem of its own.
      if (elf && !elf.unread)
        return abiSymbolProblems(ext.path, { needed: elf.needed, undefined: elf.undefinedSymbols ?? [] }, abi);
      if (pe) return abiSymbolProblems(ext.path, { needed: pe.needed, undefined: pe.functions }, abi);
      return [];
    }),
  );
}

/** The test-pythons / test-torches inputs: versions, checked before any venv is made. */
export function parseTestVersions(input: string, items: readonly string[]): string[] {
  const form = input === 'test-pythons' ? /^\d+\.\d+t?$/ : /^\d+\.\d+(?:\.\d+)?$/;
  for (const item of items) {
    if (!form.test(item))
      throw inputError(
        input,
        `"${item}" is not a version`,
        input === 'test-pythons' ? 'Give Pythons like 3.10,3.11' : 'Give torch versions like 2.10.0,2.11.0',
      );
  }
  return [...new Set(items)];
}

export interface CombinationRun {
  file: string;
  /** The modules the import test imports. */
  names: readonly string[];
  /** The venv verify already tested: its Python and torch (not installed again). */
  tested: { python: string; torch?: string; status: 'passed' | 'failed'; error?: string };
  torch: TorchWanted;
  pythons: readonly string[];
  torches: readonly string[];
  workDir: string;
  log: Log;
  runner?: ProcessRunner;
}

const sameTorch = (have: string | undefined, listed: string | undefined): boolean =>
  !listed || (have !== undefined && have.split('+')[0] === listed);

/**
 * The pairs to test: each listed Python with the torch verify tested, and each listed torch with
 * the Python verify tested. The two ABIs are independent, so n + m - 1 venvs prove what n x m
 * would, and a pair PyTorch never published (an old torch on a new Python) is not asked for.
 */
export function combinationsToTest(
  pythons: readonly string[],
  torches: readonly string[],
  tested: { python: string; torch?: string },
): { python: string; torch?: string }[] {
  const python = majorMinor(tested.python);
  const torch = tested.torch?.split('+')[0];
  const pairs = [
    ...pythons.map((p) => ({ python: p, ...(torch ? { torch } : {}) })),
    ...torches.map((t) => ({ python, torch: t })),
  ];
  const key = (pair: { python: string; torch?: string }) => `${pair.python} ${pair.torch ?? ''}`;
  return [...new Map(pairs.map((pair) => [key(pair), pair])).values()];
}

/**
 * The wheel installed into a fresh venv per listed Python and per listed torch (torch: install)
 * and imported there. A Python the machine lacks, a torch it cannot have (torch: preinstalled
 * has one), or a torch PyTorch's index has not for that Python is "not tested here", not a failure.
 */
export async function testCombinations(
  run: CombinationRun,
): Promise<{ combinations: Combination[]; problems: string[] }> {
  const torches = run.torch.rule === 'none' ? [] : run.torches;
  const testedTorch = run.tested.torch ?? (run.torch.rule === 'install' ? run.torch.version : undefined);
  const results: Combination[] = [];
  const problems: string[] = [];
  const interpreters = new Map<string, Promise<PythonInfo>>();
  for (const combination of combinationsToTest(run.pythons, torches, { ...run.tested, torch: testedTorch })) {
    const { python, torch } = combination;
    const said = `Python ${python}${torch ? `, torch ${torch}` : ''}`;
    results.push(await testOne(run, combination, interpreters));
    const last = results.at(-1)!;
    if (last.status === 'failed') problems.push(`${said}: the wheel does not work there: ${last.error}`);
    const icon = last.status === 'passed' ? '✓' : last.status === 'failed' ? '✗' : '-';
    run.log.info(`${icon} ${said}: ${last.status}${last.error ? ` (${last.error})` : ''}`);
  }
  return { combinations: results, problems };
}

async function testOne(
  run: CombinationRun,
  combination: { python: string; torch?: string },
  interpreters: Map<string, Promise<PythonInfo>>,
): Promise<Combination> {
  const { python, torch } = combination;
  if (majorMinor(run.tested.python) === python && sameTorch(run.tested.torch, torch)) {
    return { ...combination, status: run.tested.status, ...(run.tested.error ? { error: run.tested.error } : {}) };
  }
  if (torch && run.torch.rule === 'preinstalled' && !sameTorch(run.tested.torch, torch)) {
    const have = run.tested.torch ?? 'none';
    return {
      ...combination,
      status: 'not tested here',
      error: `torch: preinstalled, and this machine has torch ${have}`,
    };
  }
  if (!interpreters.has(python)) interpreters.set(python, findPython(python, run.runner));
  const base = await interpreters.get(python)!.catch((error: unknown) => error as Error);
  if (base instanceof Error)
    return { ...combination, status: 'not tested here', error: `no Python ${python} here: ${base.message}` };
  const dir = await mkdtemp(path.join(run.workDir, 'combination-'));
  try {
    const wanted = torch && run.torch.rule === 'install' ? { ...run.torch, version: torch } : run.torch;
    const env = await prepareEnvironment(base, run.file, wanted, dir, run.runner).catch((error: unknown) => {
      throw new Error(`could not install: ${errorMessage(error)}`);
    });
    const imported = await runProbe<{ module: string; error?: string }[]>(
      env,
      IMPORT_PROBE,
      [JSON.stringify(run.names)],
      run.runner,
    );
    const failed = imported.filter((r) => r.error);
    if (failed.length === 0) return { ...combination, status: 'passed' };
    return { ...combination, status: 'failed', error: failed.map((r) => `import ${r.module}: ${r.error}`).join('; ') };
  } catch (error) {
    const message = errorMessage(error);
    // Another interpreter without torch (torch: preinstalled), or no such torch on the index for
    // this Python: nothing to test the wheel against here.
    const lacking =
      (run.torch.rule === 'preinstalled' && /has no importable torch/.test(message)) ||
      /No matching distribution found for torch==/.test(message);
    return { ...combination, status: lacking ? 'not tested here' : 'failed', error: message };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
