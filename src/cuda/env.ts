import { isWindows, pathFor, toolkitLayout, type RedistPlatform } from './platform';

export interface ToolkitEnv {
  /** Variables to set for this process and later steps. */
  vars: Record<string, string>;
  /** Folder to put first on PATH. */
  path: string;
}

/** What builds look for: CUDA_PATH (Windows, CMake), CUDA_HOME (PyTorch), CUDA_PATH_Vx_y (MSBuild). */
export function toolkitEnv(
  root: string,
  majorMinor: string,
  platform: RedistPlatform,
  env: NodeJS.ProcessEnv,
): ToolkitEnv {
  const layout = toolkitLayout(root, platform);
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
  return { vars, path: layout.bin };
}
