import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { ConfigurationError } from '../core/errors';
import { undoOnSignal } from '../core/on-signal';
import { runProcess, type ProcessRunner } from '../core/exec';
import { type Engine, lastLine } from './engine';
import { engineFix } from './fixes';
import { execArgs, type Mount, runArgs } from './run-args';

/** A started build container: programs run in it by `run`, as they would on the host. */
export interface BuildContainer {
  engine: Engine;
  image: string;
  name: string;
  /** The image's own environment, with what the runner passes through. */
  env: NodeJS.ProcessEnv;
  /** Runs a program inside; an unset `env` is the container's `env`. */
  run: ProcessRunner;
  /** `name` resolved on the container's PATH (or a path that exists there); undefined when missing. */
  which(name: string, env?: NodeJS.ProcessEnv): Promise<string | undefined>;
  /** "2.28": the glibc of the image. */
  glibc: string;
  stop(): Promise<void>;
}

// What the runner's environment hands into the container: pip's and ccache's settings (an index,
// a mirror, remote storage), nvcc's flags, the build's clock and proxies. Not PATH, HOME or the toolkit's.
const PASSED = /^(?:PIP_|UV_|CCACHE_|NVCC_|SOURCE_DATE_EPOCH$|MAX_JOBS$|(?:HTTPS?|NO|ALL)_PROXY$)/i;

export const passedThrough = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(env).filter(([key, value]) => value !== undefined && PASSED.test(key)));

const parseEnv = (text: string): NodeJS.ProcessEnv =>
  Object.fromEntries(
    text
      .split('\0')
      .filter((entry) => entry.includes('='))
      .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
  );

/**
 * Starts `image` with `mounts` (each at its own path) and leaves it idling; the build then runs
 * each program in it with `exec`. A container that cannot start is a ConfigurationError naming the
 * engine, its own words and the fix, before anything is downloaded for the build.
 */
export async function startBuildContainer(options: {
  engine: Engine;
  image: string;
  mounts: readonly Mount[];
  extra: readonly string[];
  /** The runner's environment: the engine runs in it, and PASSED variables go in. */
  env: NodeJS.ProcessEnv;
  run?: ProcessRunner;
}): Promise<BuildContainer> {
  const host = options.run ?? runProcess;
  const { engine, image } = options;
  const name = `sagewheels-build-${process.pid}-${randomBytes(4).toString('hex')}`;
  // Docker runs as root unless told: the build's files on the runner would be root's.
  const uid = process.getuid?.();
  const user = engine.name === 'docker' && uid !== undefined && uid !== 0 ? `${uid}:${process.getgid!()}` : undefined;
  const args = runArgs({ engine: engine.name, image, name, mounts: options.mounts, extra: options.extra, user });
  // Removed by name, not left to --rm: a container that failed to start, or whose engine's
  // cleanup process misses the runner's configuration, would stay behind.
  const remove = ['rm', '--force', ...(engine.name === 'podman' ? ['--time', '0'] : []), name];
  // A cancelled job (SIGTERM) removes it too.
  const forget = undoOnSignal(() => spawnSync(engine.path, remove, { env: options.env, stdio: 'ignore' }));
  const stop = async () => {
    forget();
    await host(engine.path, remove, { env: options.env }).catch(() => undefined);
  };
  const started = await host(engine.path, args, { env: options.env });
  if (started.code !== 0) {
    await stop();
    const said = lastLine(`${started.stdout}\n${started.stderr}`) || `exit code ${started.code}`;
    throw new ConfigurationError(
      `container: ${engine.name} could not start ${image}: ${said}. ${engineFix([engine.name], said)}`,
    );
  }
  try {
    const raw = async (command: string, args: readonly string[]) =>
      host(engine.path, ['exec', name, command, ...args], { env: options.env });
    const imageEnv = parseEnv((await raw('env', ['-0'])).stdout);
    const env = { ...imageEnv, ...passedThrough(options.env) };
    const run: ProcessRunner = (command, args, opts = {}) => {
      const exec = execArgs({
        name,
        command,
        args,
        cwd: opts.cwd,
        input: opts.input !== undefined,
        env: opts.env ?? env,
        imageEnv,
        engineEnv: options.env,
      });
      return host(engine.path, exec.args, { ...opts, cwd: undefined, env: exec.env });
    };
    const which = async (program: string, whichEnv: NodeJS.ProcessEnv = env) => {
      const found = await run('sh', ['-c', 'command -v "$1"', 'sh', program], { env: whichEnv });
      const line = found.stdout.trim();
      return found.code === 0 && line.startsWith('/') ? line : undefined;
    };
    const glibc = /(\d+\.\d+)/.exec((await raw('getconf', ['GNU_LIBC_VERSION'])).stdout)?.[1];
    if (!glibc)
      throw new ConfigurationError(
        `container: ${image} has no glibc (getconf GNU_LIBC_VERSION). Use a glibc image, such as a manylinux one`,
      );
    return { engine, image, name, env, run, which, glibc, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
