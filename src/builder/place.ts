import type { ProcessRunner } from '../core/exec';
import { findPython, type PythonInfo } from '../python/interpreter';
import { which } from './which';

/**
 * Where the build's own programs run (Python, pip, ccache, the compilers): the runner itself, or
 * a container (src/container/). Fetching the source, finding the toolkit and finishing the
 * wheels stay on the runner either way; paths are the same in both, since a container sees the
 * runner's folders at their own paths.
 */
export interface BuildPlace {
  /** "the runner", "podman: quay.io/pypa/manylinux_2_28_x86_64 (glibc 2.28)", for the log. */
  label: string;
  run: ProcessRunner;
  /** The environment the build starts from there. */
  env: NodeJS.ProcessEnv;
  which(name: string, env: NodeJS.ProcessEnv): Promise<string | undefined>;
  findPython(spec: string): Promise<PythonInfo>;
  /** What platform-tag means there (auto in a container: the image's glibc). */
  platformTag(input: string): string;
  close(): Promise<void>;
}

export function runnerPlace(run: ProcessRunner, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): BuildPlace {
  return {
    label: 'the runner',
    run,
    env,
    which: (name, whichEnv) => Promise.resolve(which(name, whichEnv, platform)),
    findPython: (spec) => findPython(spec, run, env),
    platformTag: (input) => input,
    close: () => Promise.resolve(),
  };
}
