import { existsSync } from 'node:fs';
import { mkdir, readdir, rmdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { archName, formatArchList } from '../arch/arch';
import { ConfigurationError, inputError } from '../core/errors';
import { runProcess } from '../core/exec';
import { normalizedProject } from './facts';
import type { BuildAdjustments, BuildHookContext, PackageProfile } from './profile';

const CUTLASS_URL = 'https://github.com/NVIDIA/cutlass.git';
const hasCutlass = (dir: string): boolean => existsSync(path.join(dir, 'include', 'cutlass', 'cutlass.h'));

/** Where this setup.py looks for CUTLASS: thu-ml `csrc/cutlass` (cloned if absent), woct0rdho `cutlass` (a submodule). */
function cutlassFolder(setupPy: string): string {
  return /["']csrc["']\s*\/\s*["']cutlass["']/.test(setupPy) ? path.join('csrc', 'cutlass') : 'cutlass';
}

/**
 * CUTLASS in place before the build starts: the source's own (its submodule), the checkout the
 * `cutlass` input names (linked in), or a shallow clone now; never a clone by setup.py halfway
 * through the build.
 */
async function provideCutlass(context: BuildHookContext, notes: string[]): Promise<void> {
  const setupPy = context.source.setupPy ?? '';
  const target = path.join(context.source.dir, cutlassFolder(setupPy));
  if (context.cutlass) {
    const given = path.resolve(context.cutlass);
    if (!hasCutlass(given))
      throw inputError('cutlass', `"${context.cutlass}" has no include/cutlass/cutlass.h`, 'Give a CUTLASS checkout');
    // An empty folder is an uninitialized submodule of sagewheels' own copy of the source.
    if (existsSync(target) && (await readdir(target)).length === 0) await rmdir(target);
    if (!existsSync(target)) {
      await mkdir(path.dirname(target), { recursive: true });
      await symlink(given, target, 'dir');
      notes.push(`CUTLASS: ${given} (cutlass input)`);
      return;
    }
  }
  if (hasCutlass(target)) {
    notes.push(`CUTLASS: ${path.relative(context.source.dir, target)} of the source`);
    return;
  }
  if (!/git["']\s*,\s*["']clone/.test(setupPy)) {
    throw new ConfigurationError(
      `source: ${path.relative(context.source.dir, target)} (CUTLASS, a git submodule) is empty. ` +
        'Check out the submodules (git submodule update --init), or give cutlass: a CUTLASS checkout',
    );
  }
  if (existsSync(target) && (await readdir(target)).length === 0) await rmdir(target);
  const env = { ...process.env, GIT_TERMINAL_PROMPT: '0' };
  const result = await runProcess('git', ['clone', '-q', '--depth', '1', CUTLASS_URL, target], { env });
  if (result.code !== 0) {
    const why = result.stderr.trim().split('\n').pop() ?? `git exited with ${result.code}`;
    throw new ConfigurationError(
      `cutlass: not given, and ${CUTLASS_URL} cannot be cloned from this runner (${why}). ` +
        'Give cutlass: the path of a CUTLASS checkout on the runner (its setup.py would clone it halfway through the build)',
    );
  }
  notes.push(`CUTLASS: cloned from ${CUTLASS_URL} before the build (its setup.py would clone it during the build)`);
}

/**
 * thu-ml's setup.py ignores TORCH_CUDA_ARCH_LIST and takes the arch of the GPU in the machine
 * (10.0, 12.0 or 12.1, else "Unsupported GPU"): sagewheels presents it the requested one, so
 * it builds on a runner without a Blackwell GPU; one arch per wheel. woct0rdho's reads the list.
 */
async function prepare(context: BuildHookContext): Promise<BuildAdjustments> {
  const setupPy = context.source.setupPy ?? '';
  const notes: string[] = [];
  let archs = [...context.archs];
  let presentCapability: string | undefined;
  if (/get_device_capability/.test(setupPy) && !/TORCH_CUDA_ARCH_LIST/.test(setupPy)) {
    if (archs.length > 1) {
      if (!context.auto) {
        throw inputError(
          'arch-list',
          `${formatArchList(archs)} asks several archs, and this sageattn3 setup.py builds for one GPU only (the one it sees)`,
          'Give one of 10.0, 12.0, 12.1 per build (one job each), or use a source that reads TORCH_CUDA_ARCH_LIST (woct0rdho/SageAttention)',
        );
      }
      archs = [archs.find((arch) => archName(arch) === '12.0') ?? archs[0]!];
      notes.push(
        `this sageattn3 setup.py builds one arch per wheel: arch-list auto builds ${archName(archs[0]!)}; give 10.0 or 12.1 for the others`,
      );
    }
    presentCapability = archName(archs[0]!);
    notes.push(
      `this sageattn3 setup.py takes its arch from the GPU it sees: torch.cuda.get_device_capability() reports ${presentCapability} during the build`,
    );
  }
  await provideCutlass(context, notes);
  return { archs, presentCapability, notes };
}

/** SageAttention3 (FP4, Blackwell only): thu-ml's and woct0rdho's sageattention3_blackwell/. */
export const sageattn3: PackageProfile = {
  name: 'sageattn3',
  summary: 'SageAttention3 (sageattention3_blackwell/ of SageAttention: FP4, Blackwell GPUs only)',
  minCuda: '12.8',
  archs: { '10.0': '12.8', '12.0': '12.8', '12.1': '12.9' },
  importName: 'sageattn3',
  defaultSource: 'https://github.com/thu-ml/SageAttention.git',
  defaultSubdirectory: 'sageattention3_blackwell',
  recognise: (source) => normalizedProject(source.project) === 'sageattn3',
  // FP4 quantization of q, k and v costs accuracy; thu-ml report end-to-end quality, not a cosine.
  runtime: { function: 'sageattn3_blackwell', layout: 'HND', minCosine: 0.95 },
  prepareBuild: prepare,
};
