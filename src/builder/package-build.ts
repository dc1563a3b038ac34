import path from 'node:path';
import type { Arch } from '../arch/arch';
import type { Log } from '../core/context';
import { appendFlags } from '../core/flags';
import type { BuildAdjustments, PackageProfile } from '../packages/profile';
import { readSourceFacts } from '../packages/facts';
import { presentCapability } from './present';
import { routeNvcc } from './route';
import { useCudaReason } from './stable-abi';

/** The package's source checks, before anything is installed: may refuse, narrow the archs, or adjust the build. */
export async function preparePackage(
  profile: PackageProfile,
  options: { sourceDir: string; archs: readonly Arch[]; auto: boolean; cutlass?: string; work: string },
  log: Log,
): Promise<BuildAdjustments & { archs: Arch[] }> {
  const adjustments = profile.prepareBuild
    ? await profile.prepareBuild({ ...options, source: await readSourceFacts(options.sourceDir), log })
    : { notes: [] };
  for (const note of adjustments.notes) log.info(`${profile.name}: ${note}`);
  return { ...adjustments, archs: adjustments.archs ?? [...options.archs] };
}

/** The build environment with what the package asked for, and -DUSE_CUDA where the headers need it (before the compile cache hashes it). */
export async function packageEnvironment(
  adjustments: BuildAdjustments,
  env: NodeJS.ProcessEnv,
  options: {
    sourceDir: string;
    sitePackages: string;
    platform: NodeJS.Platform;
    /** The torch package's folder, when the build has torch. */
    torchDir?: string;
  },
  log: Log,
): Promise<NodeJS.ProcessEnv> {
  const result: NodeJS.ProcessEnv = { ...env, ...adjustments.env };
  if (adjustments.presentCapability) {
    Object.assign(result, await presentCapability(options.sitePackages, adjustments.presentCapability));
  }
  if (options.torchDir && options.platform !== 'win32') {
    const reason = await useCudaReason(options.sourceDir, path.join(options.torchDir, 'include'));
    if (reason) {
      result.NVCC_APPEND_FLAGS = appendFlags(result.NVCC_APPEND_FLAGS, ['-DUSE_CUDA']);
      log.info(`nvcc gets -DUSE_CUDA: ${reason}`);
    }
  }
  return result;
}

/** nvcc through the routing wrapper, when the package asked for it: set last, in front of the compile cache's nvcc. */
export async function routedEnvironment(
  adjustments: BuildAdjustments,
  env: NodeJS.ProcessEnv,
  options: { sourceDir: string; work: string; python: string; nvcc: string },
): Promise<NodeJS.ProcessEnv> {
  if (!adjustments.routeArchs) return env;
  return { ...env, PYTORCH_NVCC: await routeNvcc(adjustments.routeArchs, { ...options, env }) };
}
