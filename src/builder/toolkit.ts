import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { candidates as versionCandidates, probe } from '../cuda/existing';
import { hostPlatform, pathFor, toolkitLayout } from '../cuda/platform';
import { ConfigurationError } from '../core/errors';
import { runProcess, type ProcessRunner } from '../core/exec';
import { compareVersions, majorMinor } from '../core/version';

export interface CudaToolkit {
  home: string;
  nvcc: string;
  /** "13.0.88" as nvcc reports it */
  version: string;
}

/**
 * nvcc paths to try, most specific first: where a wanted version lives (setup-cuda's search),
 * then CUDA_HOME, CUDA_PATH, nvcc on PATH, /usr/local/cuda, and the other /usr/local/cuda-<x.y>
 * newest first.
 */
export function nvccCandidates(
  wanted: string | undefined,
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform,
): string[] {
  const redist = hostPlatform(platform, 'x64');
  const p = pathFor(redist);
  const nvccIn = (root: string) => toolkitLayout(root, redist).nvcc;
  const found = wanted ? versionCandidates(majorMinor(wanted), redist, env).map((c) => c.nvcc) : [];
  for (const root of [env.CUDA_HOME, env.CUDA_PATH]) if (root) found.push(nvccIn(root));
  const exe = p.basename(nvccIn('/'));
  for (const dir of (env.PATH ?? env.Path ?? '').split(p.delimiter).filter(Boolean)) found.push(p.join(dir, exe));
  if (platform !== 'win32') {
    const versions = existsSync('/usr/local')
      ? readdirSync('/usr/local').filter((name) => /^cuda-\d+\.\d+$/.test(name))
      : [];
    versions.sort((a, b) => compareVersions(b.slice(5), a.slice(5)));
    found.push(...['cuda', ...versions].map((name) => nvccIn(`/usr/local/${name}`)));
  }
  return [...new Set(found)];
}

/** The toolkit to build with; `wanted` ("12.8", "12.8.1") must match its major.minor. */
export async function findToolkit(
  wanted: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  runner: ProcessRunner = runProcess,
): Promise<CudaToolkit> {
  const seen: string[] = [];
  const probed = new Set<string>();
  for (const nvcc of nvccCandidates(wanted, env, platform)) {
    // probe follows wrapper scripts and links (/usr/local/bin/nvcc) to the real toolkit.
    const toolkit = await probe(nvcc, hostPlatform(platform, 'x64'), runner);
    // /usr/local/cuda is usually a link to one of the others.
    const real = toolkit && realpathSync(toolkit.root);
    if (!toolkit || !real || probed.has(real)) continue;
    probed.add(real);
    if (!wanted || toolkit.majorMinor === majorMinor(wanted))
      return { home: toolkit.root, nvcc: toolkit.nvcc, version: toolkit.nvccVersion };
    seen.push(`${toolkit.nvccVersion} in ${toolkit.root}`);
  }
  const found =
    seen.length > 0 ? `found only ${seen.join(', ')}` : 'found no nvcc (CUDA_HOME, CUDA_PATH, PATH, /usr/local/cuda)';
  throw new ConfigurationError(
    `cuda-version: ${wanted ? `no CUDA ${wanted} toolkit on this runner` : 'no CUDA toolkit on this runner'}: ${found}. Run setup-cuda before build`,
  );
}
