import type { Log } from '../core/context';
import type { ProcessRunner } from '../core/exec';
import type { LockOptions } from '../core/lock';
import type { RedistPlatform } from './platform';
import type { VersionRequest } from './versions';

export const METHODS = ['auto', 'existing', 'redist', 'installer'] as const;
export type Method = (typeof METHODS)[number];
export type Source = 'existing' | 'cache' | 'download';

export const NVIDIA_REDIST = 'https://developer.download.nvidia.com/compute/cuda/redist/';

export interface SetupRequest {
  cudaVersion: string;
  method: Method;
  /** Set names (torch-extension, compiler, full) and redist component names. */
  components: string[];
  mirrorUrl: string;
  /** Install here instead of the tool cache. */
  installDir?: string;
  /** The tool cache root (RUNNER_TOOL_CACHE); needed to install unless installDir is given. */
  toolCache?: string;
  /** Scratch space for small downloads and the Windows installer (RUNNER_TEMP). */
  tempDir: string;
  /** NVIDIA's key or a name for it (linux-aarch64 is linux-sbsa); the runner's platform when unset. */
  platform?: RedistPlatform | string;
  env?: NodeJS.ProcessEnv;
}

export interface SetupOptions {
  log: Log;
  run?: ProcessRunner;
  lock?: LockOptions;
  /** Archives downloaded and unpacked at once. */
  concurrency?: number;
  /** How often running downloads report the bytes that have arrived. */
  progressMs?: number;
}

export interface SetupResult {
  /** x.y.z: the toolkit release, or nvcc's version for a toolkit without version.json. */
  version: string;
  majorMinor: string;
  root: string;
  /** '' when the components include no nvcc. */
  nvcc: string;
  source: Source;
  cacheHit: boolean;
  method: 'existing' | 'redist' | 'installer';
  components: { name: string; version: string }[];
  downloadedBytes: number;
  seconds: number;
}

export type Installed = Omit<SetupResult, 'seconds'>;

/** A checked request on its way to an install method. */
export interface InstallContext {
  request: SetupRequest;
  version: VersionRequest;
  release: string;
  /** The mirror URL, ending in a slash. */
  mirror: string;
  platform: RedistPlatform;
  temp: string;
  run: ProcessRunner;
  options: SetupOptions;
}
