import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isGitUrl, fetchSource } from '../builder/source';
import { inputError } from '../core/errors';
import { runProcess, type ProcessRunner } from '../core/exec';
import { type AbiChoice, detectAbi, type SourceAbi } from './detect';

/** The ABI of a source the matrix plans for: a local folder read in place, a git URL cloned shallowly (no submodules) and removed. */
export async function readSourceAbi(
  source: string,
  ref: string | undefined,
  runner: ProcessRunner = runProcess,
): Promise<{ abi: SourceAbi; label: string }> {
  if (!isGitUrl(source)) {
    if (ref)
      throw inputError(
        'ref',
        `"${ref}" was given with a local source`,
        'ref applies to git URLs; check the folder out at that ref instead',
      );
    const dir = path.resolve(source);
    if (!(await stat(dir).catch(() => undefined))?.isDirectory())
      throw inputError(
        'source',
        `"${source}" is neither a git URL nor a folder`,
        'Give https://... or a path to the package',
      );
    return { abi: await detectAbi(dir), label: dir };
  }
  const dest = await mkdtemp(path.join(os.tmpdir(), 'sagewheels-abi-'));
  try {
    const fetched = await fetchSource(source, ref, dest, runner, { submodules: false });
    return { abi: await detectAbi(fetched.dir), label: fetched.label };
  } finally {
    await rm(dest, { recursive: true, force: true });
  }
}

/**
 * What the plan may promise without a source: `auto` and `none` nothing, an ABI given by hand
 * taken at its word with the plan's oldest Python or torch as its floor.
 */
export function abiByHand(choice: AbiChoice, oldest: { python: string; torch: string }): SourceAbi {
  if (choice === 'abi3') return { limited: { python: oldest.python } };
  if (choice === 'stable') return { stable: { torch: oldest.torch, evidence: 'abi: stable given by hand' } };
  return {};
}
