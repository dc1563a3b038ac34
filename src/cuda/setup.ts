import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { inputError } from '../core/errors';
import { runProcess } from '../core/exec';
import { checkComponentsInput } from './components';
import { findExisting, toolkitResult } from './existing';
import { installWithInstaller } from './installer';
import { isWindows, redistPlatform, runnerPlatform, type RedistPlatform } from './platform';
import { undoOnSignal } from '../core/on-signal';
import { installFromRedist } from './redist';
import { METHODS, type SetupOptions, type SetupRequest, type SetupResult } from './request';
import { checkInstallDir } from './slot';
import { checkMirror, resolveRelease } from './tree';
import { majorMinorOf, parseVersionRequest, type VersionRequest } from './versions';

export { METHODS, NVIDIA_REDIST, type Method, type SetupOptions, type SetupRequest, type SetupResult } from './request';
export { toolCacheKey } from './redist';

/** A request whose inputs were all checked; nothing was asked of the network yet. */
export interface CheckedRequest {
  version: VersionRequest;
  mirror: string;
  platform: RedistPlatform;
}

/**
 * Every input of a setup-cuda request checked, before any request, download or process: the
 * version's form, the components' spelling, the mirror URL, the platform, install-dir (which must
 * be new, empty, or a toolkit setup-cuda finished) and the inputs that contradict each other.
 */
export async function checkRequest(request: SetupRequest): Promise<CheckedRequest> {
  const version = parseVersionRequest(request.cudaVersion);
  if (!METHODS.includes(request.method)) {
    throw inputError('method', `"${request.method}" is not a method`, `Allowed: ${METHODS.join(', ')}`);
  }
  checkComponentsInput(request.components);
  const mirror = checkMirror(request.mirrorUrl);
  const platform = request.platform ? redistPlatform(request.platform) : runnerPlatform();
  if (request.installDir && request.method === 'existing') {
    throw inputError(
      'install-dir',
      'is given, but method existing installs nothing',
      'Leave install-dir empty, or use method auto, redist or installer',
    );
  }
  if (request.installDir && request.method === 'installer' && isWindows(platform)) {
    throw inputError(
      'install-dir',
      "is given, but NVIDIA's Windows installer always installs into Program Files",
      'Leave install-dir empty, or use method redist',
    );
  }
  if (request.installDir) await checkInstallDir(path.resolve(request.installDir));
  else if (request.method !== 'auto' && request.method !== 'existing') needsToolCache(request, platform);
  return { version, mirror, platform };
}

/** Installing without install-dir needs the runner's tool cache (the Windows installer picks its own folder). */
function needsToolCache(request: SetupRequest, platform: RedistPlatform): void {
  if (request.installDir || request.toolCache || (request.method === 'installer' && isWindows(platform))) return;
  throw inputError(
    'install-dir',
    'is empty and RUNNER_TOOL_CACHE is not set',
    'Give install-dir, or run on an Actions runner',
  );
}

/**
 * Finds, or installs, the CUDA toolkit a request asks for: a toolkit already on the runner
 * (auto, existing), NVIDIA's redist archives (auto, redist) or NVIDIA's installer (installer).
 * Every input the request gets wrong is refused before anything is downloaded.
 */
export async function setupCuda(request: SetupRequest, options: SetupOptions): Promise<SetupResult> {
  const started = performance.now();
  const seconds = () => Math.round((performance.now() - started) / 100) / 10;
  const { version, mirror, platform } = await checkRequest(request);
  const run = options.run ?? runProcess;

  if (request.method === 'auto' || request.method === 'existing') {
    const search = await findExisting(majorMinorOf(version), version.exact, platform, request.env ?? process.env, run);
    if (search.toolkit) return { ...(await toolkitResult(search.toolkit, platform)), seconds: seconds() };
    const seen = search.seen.length > 0 ? `Found instead: ${search.seen.join('; ')}` : 'Found no nvcc at all';
    if (request.method === 'existing') {
      throw inputError(
        'method',
        `existing: no CUDA ${version.given} toolkit is on this runner (looked at CUDA_PATH_V${version.major}_${version.minor}, the default install folder and PATH)`,
        `${seen}. Use method auto or redist to install it`,
      );
    }
    options.log.info(`No CUDA ${version.given} toolkit on this runner (${seen}); installing it from ${mirror}`);
  }

  needsToolCache(request, platform);
  const temp = await mkdtemp(path.join(request.tempDir, 'sagewheels-cuda-'));
  const forget = undoOnSignal(() => rmSync(temp, { recursive: true, force: true }));
  try {
    const release = await resolveRelease(version, mirror, temp, options.log);
    const install = request.method === 'installer' ? installWithInstaller : installFromRedist;
    return {
      ...(await install({ request, version, release, mirror, platform, temp, run, options })),
      seconds: seconds(),
    };
  } finally {
    await rm(temp, { recursive: true, force: true });
    forget();
  }
}
