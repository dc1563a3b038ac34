import { existsSync, readdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { ConfigurationError } from '../core/errors';
import { runProcess, type ProcessRunner } from '../core/exec';
import { compareVersions, majorMinor } from '../core/version';
import { which } from './which';

export interface CudaToolkit {
  home: string;
  nvcc: string;
  /** "13.0.88" as nvcc reports it */
  version: string;
}

const nvccName = (platform: NodeJS.Platform): string => (platform === 'win32' ? 'nvcc.exe' : 'nvcc');

/**
 * Where a toolkit may be, most specific first: for a wanted version its CUDA_PATH_V<x>_<y>
 * (Windows installer, setup-cuda) and /usr/local/cuda-<x.y>; then CUDA_HOME, CUDA_PATH, nvcc on
 * PATH, /usr/local/cuda, and the other /usr/local/cuda-<x.y>, newest first.
 */
export function toolkitCandidates(wanted: string | undefined, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string[] {
  const dirs: (string | undefined)[] = [];
  if (wanted) {
    const [major, minor] = majorMinor(wanted).split('.');
    dirs.push(env[`CUDA_PATH_V${major}_${minor}`]);
    if (platform !== 'win32') dirs.push(`/usr/local/cuda-${major}.${minor}`);
  }
  dirs.push(env.CUDA_HOME, env.CUDA_PATH);
  // A bin folder of links (/usr/local/bin/nvcc) is not the toolkit: follow the link.
  const onPath = which('nvcc', env, platform);
  if (onPath) dirs.push(path.dirname(path.dirname(realpathSync(onPath))));
  if (platform !== 'win32') {
    const versions = existsSync('/usr/local') ? readdirSync('/usr/local').filter((name) => /^cuda-\d+\.\d+$/.test(name)) : [];
    dirs.push('/usr/local/cuda', ...versions.sort((a, b) => compareVersions(b.slice(5), a.slice(5))).map((name) => `/usr/local/${name}`));
  }
  return [...new Set(dirs.filter((dir): dir is string => Boolean(dir)))];
}

export async function nvccVersion(nvcc: string, runner: ProcessRunner = runProcess): Promise<string | undefined> {
  const result = await runner(nvcc, ['--version']).catch(() => undefined);
  return result?.code === 0 ? /release [\d.]+, V([\d.]+)/.exec(result.stdout)?.[1] : undefined;
}

/** The toolkit to build with; `wanted` ("12.8", "12.8.1") must match its major.minor. */
export async function findToolkit(
  wanted: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  runner: ProcessRunner = runProcess,
): Promise<CudaToolkit> {
  const seen: string[] = [];
  const tried = new Set<string>();
  for (const home of toolkitCandidates(wanted, env, platform)) {
    const nvcc = path.join(home, 'bin', nvccName(platform));
    // A folder with a wrapper or link named nvcc (/usr/local/bin) is not a toolkit.
    if (!existsSync(nvcc) || !existsSync(path.join(home, 'include', 'cuda_runtime.h'))) continue;
    // /usr/local/cuda is usually a link to one of the others.
    if (tried.has(realpathSync(home))) continue;
    tried.add(realpathSync(home));
    const version = await nvccVersion(nvcc, runner);
    if (!version) continue;
    if (!wanted || majorMinor(version) === majorMinor(wanted)) return { home, nvcc, version };
    seen.push(`${version} in ${home}`);
  }
  const found = seen.length > 0 ? `found only ${seen.join(', ')}` : 'found no nvcc (CUDA_HOME, CUDA_PATH, PATH, /usr/local/cuda)';
  throw new ConfigurationError(
    `cuda-version: ${wanted ? `no CUDA ${wanted} toolkit on this runner` : 'no CUDA toolkit on this runner'}: ${found}. Run setup-cuda before build`,
  );
}
