import path from 'node:path';
import { isWindows, pathFor, toolkitLayout, type RedistPlatform } from './platform';

export interface ToolkitEnv {
  /** Variables to set for this process and later steps. */
  vars: Record<string, string>;
  /** Folders to put first on PATH, in this order. */
  paths: string[];
}

/** What builds look for: CUDA_PATH (Windows, CMake), CUDA_HOME (PyTorch), CUDA_PATH_Vx_y (MSBuild). */
export function toolkitEnv(
  root: string,
  majorMinor: string,
  platform: RedistPlatform,
  env: NodeJS.ProcessEnv,
  /** How this host names paths (the runner's own; tests give path.win32 for a Windows root). */
  p: path.PlatformPath = path,
): ToolkitEnv {
  const layout = toolkitLayout(root, platform, p);
  const vars: Record<string, string> = {
    CUDA_PATH: root,
    CUDA_HOME: root,
    [`CUDA_PATH_V${majorMinor.replace('.', '_')}`]: root,
  };
  if (!isWindows(platform)) {
    const rest = (env.LD_LIBRARY_PATH ?? '')
      .split(pathFor(platform).delimiter)
      .filter((dir) => dir && dir !== layout.lib);
    vars.LD_LIBRARY_PATH = [layout.lib, ...rest].join(pathFor(platform).delimiter);
  }
  // From CUDA 13 on, NVIDIA's Windows archives (and installer) keep the tools in bin and the DLLs
  // (cudart64_13.dll, cublas64_13.dll) in bin\x64.
  const dlls = isWindows(platform) && Number(majorMinor.split('.')[0]) >= 13;
  return { vars, paths: dlls ? [layout.bin, p.join(layout.bin, 'x64')] : [layout.bin] };
}
