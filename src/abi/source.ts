import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fetchSource, isGitUrl, localSourceDir, splitSubdirectory } from '../builder/source';
import { runProcess, type ProcessRunner } from '../core/exec';
import type { AbiChoice, SourceAbi } from './detect';

/** A source to read, not build: a folder where it is, or a git clone removed by `close`. */
export interface ReadableSource {
  dir: string;
  /** "<url>@<commit>" or the folder. */
  label: string;
  close(): Promise<void>;
}

/** The matrix's source: a local folder read in place, a git URL cloned shallowly (no submodules) into a temporary folder. */
export async function openSource(
  source: string,
  ref: string | undefined,
  runner: ProcessRunner = runProcess,
): Promise<ReadableSource> {
  if (!isGitUrl(source)) {
    const dir = await localSourceDir(source, ref);
    return { dir, label: dir, close: async () => {} };
  }
  const { source: url, subdirectory } = splitSubdirectory(source);
  const dest = await mkdtemp(path.join(os.tmpdir(), 'sagewheels-source-'));
  const close = () => rm(dest, { recursive: true, force: true });
  try {
    const fetched = await fetchSource(url, ref, dest, runner, subdirectory, { submodules: false });
    return { ...fetched, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * What the plan may promise without a readable source: `auto` and `none` nothing, an ABI given
 * by hand taken at its word with the plan's oldest Python or torch as its floor.
 */
export function abiByHand(choice: AbiChoice, oldest: { python: string; torch: string }): SourceAbi {
  if (choice === 'abi3') return { limited: { python: oldest.python } };
  if (choice === 'stable') return { stable: { torch: oldest.torch, evidence: 'abi: stable given by hand' } };
  return {};
}
