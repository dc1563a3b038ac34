import { mkdir } from 'node:fs/promises';
import type { Log } from '../core/context';
import { runProcess, type ProcessRunner } from '../core/exec';

/**
 * `pip wheel --no-build-isolation` of the source into `wheelDir`, its output in a log group as it
 * comes. No isolation: the build sees the venv's torch, as setup.py expects.
 */
export async function pipWheel(
  python: string,
  sourceDir: string,
  wheelDir: string,
  env: NodeJS.ProcessEnv,
  archList: string,
  log: Log,
  runner: ProcessRunner = runProcess,
): Promise<{ code: number; lines: string[]; seconds: number }> {
  await mkdir(wheelDir);
  const args = [
    '-m',
    'pip',
    'wheel',
    '--no-build-isolation',
    '--no-deps',
    '--verbose',
    '--wheel-dir',
    wheelDir,
    sourceDir,
  ];
  const lines: string[] = [];
  const started = Date.now();
  const result = await log.group(`Build log: pip wheel --no-build-isolation (${archList || 'no GPU code'})`, () =>
    runner(python, args, {
      cwd: sourceDir,
      env,
      onLine: (line) => {
        lines.push(line);
        log.info(line);
      },
    }),
  );
  return { code: result.code, lines, seconds: (Date.now() - started) / 1000 };
}
