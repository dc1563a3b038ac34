import { existsSync } from 'node:fs';
import path from 'node:path';

/** `name` itself when it is a path, else the first `name` on the PATH of `env` (with Windows' extensions); undefined when missing. */
export function which(
  name: string,
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  const windows = platform === 'win32';
  if (/[\\/]/.test(name)) return existsSync(name) ? name : undefined;
  const join = windows ? path.win32.join : path.posix.join;
  for (const dir of (env.PATH ?? env.Path ?? '').split(windows ? ';' : ':')) {
    for (const ext of windows ? ['.exe', '.cmd', ''] : ['']) {
      const full = dir && join(dir, name + ext);
      if (full && existsSync(full)) return full;
    }
  }
  return undefined;
}
