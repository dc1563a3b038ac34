import { ConfigurationError } from '../core/errors';
import type { ProcessRunner } from '../core/exec';
import { which } from '../builder/which';
import { engineFix } from './fixes';

export type EngineName = 'docker' | 'podman';
export type EngineChoice = 'auto' | EngineName;
export const ENGINE_CHOICES: readonly EngineChoice[] = ['auto', 'docker', 'podman'];

export interface Engine {
  name: EngineName;
  /** The engine's program on PATH. */
  path: string;
}

/** The last line an engine printed: its own account of what failed. */
export const lastLine = (text: string): string =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .pop() ?? '';

/**
 * Why `name` cannot run containers here, or undefined when it can: it is on PATH and `info`
 * answers (the daemon is up, rootless podman has its user namespace). Cheap: nothing is pulled.
 */
async function engineProblem(name: EngineName, env: NodeJS.ProcessEnv, run: ProcessRunner): Promise<string | Engine> {
  const found = which(name, env);
  if (!found) return `${name} is not on PATH`;
  const result = await run(found, ['info'], { env }).catch((error: Error) => ({
    code: -1,
    stdout: '',
    stderr: error.message,
  }));
  if (result.code === 0) return { name, path: found };
  return `"${name} info" failed: ${lastLine(`${result.stdout}\n${result.stderr}`) || `exit code ${result.code}`}`;
}

/**
 * The engine to build with: the one asked for, or (auto) docker, else podman, whichever answers.
 * None that works is a ConfigurationError naming each engine, what failed and the fix, thrown
 * before anything is downloaded.
 */
export async function findEngine(
  choice: EngineChoice,
  image: string,
  env: NodeJS.ProcessEnv,
  run: ProcessRunner,
): Promise<Engine> {
  const names: EngineName[] = choice === 'auto' ? ['docker', 'podman'] : [choice];
  const problems: string[] = [];
  for (const name of names) {
    const found = await engineProblem(name, env, run);
    if (typeof found !== 'string') return found;
    problems.push(found);
  }
  const input = choice === 'auto' ? 'container' : 'container-engine';
  throw new ConfigurationError(
    `${input}: building in ${image} needs ${names.join(' or ')}, and ${problems.join('; ')}. ${engineFix(names, problems.join('\n'))}`,
  );
}
