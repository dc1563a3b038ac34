import type { EngineName } from './engine';

export interface Mount {
  /** The folder on the runner; it appears at the same path inside, so every path the build writes down holds there too. */
  path: string;
  readOnly?: boolean;
}

/**
 * `<engine> run` for the build's container: detached, removed when stopped, sharing the runner's
 * network (a loopback mirror, cache server or proxy answers as it does on the host), with the
 * mounts and then the user's own options, so theirs win; it idles until each step is `exec`ed.
 */
export function runArgs(options: {
  engine: EngineName;
  image: string;
  name: string;
  mounts: readonly Mount[];
  extra: readonly string[];
  /** uid:gid the build runs as (docker runs as root on the runner's files otherwise). */
  user?: string;
}): string[] {
  return [
    'run',
    '--detach',
    '--rm',
    '--name',
    options.name,
    '--network',
    'host',
    ...(options.user ? ['--user', options.user] : []),
    ...[...new Map(options.mounts.map((m) => [m.path, m])).values()].flatMap((m) => [
      '--volume',
      `${m.path}:${m.path}${m.readOnly ? ':ro' : ''}`,
    ]),
    ...options.extra,
    '--entrypoint',
    'sleep',
    options.image,
    'infinity',
  ];
}

// A value that may hold a password goes through the engine's own environment, not its arguments
// (which any user of the runner can read in the process list).
const SECRET_NAME = /PASSWORD|TOKEN|SECRET|KEY|STORAGE|PROXY|AUTH|CREDENTIAL/i;
// A URL with user information (PIP_INDEX_URL=https://user:token@host/simple) whatever its name.
const URL_WITH_USER = /:\/\/[^/\s]*@/;

/**
 * `<engine> exec` of one program in the container, and the environment the engine itself runs
 * with. Only what differs from the image's own environment is passed; a secret-looking variable,
 * or a URL with a user in it, by name alone (`--env NAME`: the engine reads its value from its own
 * environment).
 */
export function execArgs(options: {
  name: string;
  command: string;
  args: readonly string[];
  cwd?: string;
  input?: boolean;
  env: NodeJS.ProcessEnv;
  imageEnv: NodeJS.ProcessEnv;
  engineEnv: NodeJS.ProcessEnv;
}): { args: string[]; env: NodeJS.ProcessEnv } {
  const flags: string[] = [];
  const env: NodeJS.ProcessEnv = { ...options.engineEnv };
  for (const [key, value] of Object.entries(options.env)) {
    if (value === undefined || options.imageEnv[key] === value) continue;
    if (SECRET_NAME.test(key) || URL_WITH_USER.test(value)) {
      flags.push('--env', key);
      env[key] = value;
    } else flags.push('--env', `${key}=${value}`);
  }
  return {
    args: [
      'exec',
      ...(options.input ? ['--interactive'] : []),
      ...(options.cwd ? ['--workdir', options.cwd] : []),
      ...flags,
      options.name,
      options.command,
      ...options.args,
    ],
    env,
  };
}

/** container-options: extra arguments of `<engine> run`, separated by spaces. */
export const readContainerOptions = (text: string): string[] => text.split(/\s+/).filter(Boolean);
