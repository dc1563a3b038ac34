import path from 'node:path';

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

export const isWindows = (platform: RedistPlatform): boolean => platform.startsWith('windows');

/** Path functions of the platform, so Windows logic runs (and is tested) anywhere. */
export const pathFor = (platform: RedistPlatform): path.PlatformPath => (isWindows(platform) ? path.win32 : path.posix);

/** Where the parts of a toolkit live under its root, as nvcc and PyTorch expect them. */
export function toolkitLayout(root: string, platform: RedistPlatform) {
  const p = pathFor(platform);
  const windows = isWindows(platform);
  return {
    bin: p.join(root, 'bin'),
    nvcc: p.join(root, 'bin', windows ? 'nvcc.exe' : 'nvcc'),
    /** The library folder builds link against: lib64 on Linux, lib\x64 on Windows. */
    lib: windows ? p.join(root, 'lib', 'x64') : p.join(root, 'lib64'),
    versionJson: p.join(root, 'version.json'),
  };
}
