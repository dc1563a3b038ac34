import path from 'node:path';
import { inputError } from '../core/errors';

/** The platform keys of NVIDIA's redist manifests that a build host can be. */
export type RedistPlatform = 'linux-x86_64' | 'linux-sbsa' | 'windows-x86_64';

export function hostPlatform(
  platform: NodeJS.Platform = process.platform,
  arch: string = process.arch,
): RedistPlatform {
  if (platform === 'linux' && arch === 'x64') return 'linux-x86_64';
  if (platform === 'linux' && arch === 'arm64') return 'linux-sbsa';
  if (platform === 'win32' && arch === 'x64') return 'windows-x86_64';
  throw new Error(`CUDA toolkits are published for Linux x64/arm64 and Windows x64, not ${platform} ${arch}`);
}

/**
 * Names users, runners and PyTorch give a platform, to NVIDIA's keys: Linux on 64-bit Arm is
 * `linux-sbsa` in the redist tree (server-class Arm; `linux-aarch64` there means Jetson), and
 * `linux-aarch64` in PyTorch's wheels and this project's matrix.
 */
const ALIASES: Record<string, RedistPlatform> = {
  'linux-x86_64': 'linux-x86_64',
  'linux-x64': 'linux-x86_64',
  'linux-amd64': 'linux-x86_64',
  'linux-sbsa': 'linux-sbsa',
  'linux-aarch64': 'linux-sbsa',
  'linux-arm64': 'linux-sbsa',
  'windows-x86_64': 'windows-x86_64',
  'windows-x64': 'windows-x86_64',
  'windows-amd64': 'windows-x86_64',
  'win-amd64': 'windows-x86_64',
};

export function redistPlatform(name: string): RedistPlatform {
  const platform = ALIASES[name.trim().toLowerCase()];
  if (!platform) {
    throw inputError(
      'platform',
      `"${name}" is not a platform NVIDIA publishes CUDA for`,
      'Allowed: linux-x86_64, linux-aarch64 (linux-sbsa), windows-x86_64',
    );
  }
  return platform;
}

/** The platform as the runner reports it (RUNNER_OS, RUNNER_ARCH: Linux ARM64 -> linux-sbsa), else this process's. */
export function runnerPlatform(env: NodeJS.ProcessEnv = process.env): RedistPlatform {
  if (!env.RUNNER_OS || !env.RUNNER_ARCH) return hostPlatform();
  const name = `${env.RUNNER_OS}-${env.RUNNER_ARCH}`.toLowerCase();
  if (!ALIASES[name]) {
    throw new Error(
      `CUDA toolkits are published for Linux X64/ARM64 and Windows X64, not ${env.RUNNER_OS} ${env.RUNNER_ARCH}`,
    );
  }
  return ALIASES[name];
}

export const isWindows = (platform: RedistPlatform): boolean => platform.startsWith('windows');

/** Path functions of the platform, so Windows logic runs (and is tested) anywhere. */
export const pathFor = (platform: RedistPlatform): path.PlatformPath => (isWindows(platform) ? path.win32 : path.posix);

/** Where the parts of a toolkit live under its root, as nvcc and PyTorch expect them. */
export function toolkitLayout(root: string, platform: RedistPlatform, p: path.PlatformPath = pathFor(platform)) {
  const windows = isWindows(platform);
  return {
    bin: p.join(root, 'bin'),
    nvcc: p.join(root, 'bin', windows ? 'nvcc.exe' : 'nvcc'),
    /** The library folder builds link against: lib64 on Linux, lib\x64 on Windows. */
    lib: windows ? p.join(root, 'lib', 'x64') : p.join(root, 'lib64'),
    versionJson: p.join(root, 'version.json'),
  };
}
