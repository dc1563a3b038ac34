import { mkdir } from 'node:fs/promises';
import type { Log } from '../core/context';
import type { ProcessRunner } from '../core/exec';
import type { BuildPlace } from '../builder/place';
import { type EngineChoice, findEngine } from './engine';
import { containerPlatformTag } from './floor';
import { linuxArchOf } from './image';
import { findImagePython } from './interpreter';
import type { Mount } from './run-args';
import { startBuildContainer } from './session';

export interface ContainerRequest {
  image: string;
  engine: EngineChoice;
  /** Extra arguments of `<engine> run`. */
  extra: readonly string[];
}

/**
 * The build's container, started: the temp folder and the reproducible build folder's parent (the
 * build works in one of them), the toolkit read-only, the compile cache's and the output's folders, and other
 * folders the build reads (a CUTLASS checkout), each at its own path.
 * CCACHE_DIR names that folder inside, so compile-cache: auto finds the runner's cache.
 */
export async function containerPlace(
  request: ContainerRequest,
  folders: {
    temp: string;
    work?: string;
    toolkit?: string;
    cache?: string;
    output?: string;
    readOnly?: readonly string[];
  },
  env: NodeJS.ProcessEnv,
  run: ProcessRunner,
  log: Log,
): Promise<BuildPlace> {
  const engine = await findEngine(request.engine, request.image, env, run);
  for (const folder of [folders.work, folders.cache, folders.output])
    if (folder) await mkdir(folder, { recursive: true });
  const mounts: Mount[] = [
    { path: folders.temp },
    ...(folders.work ? [{ path: folders.work }] : []),
    ...(folders.toolkit ? [{ path: folders.toolkit, readOnly: true }] : []),
    ...(folders.cache ? [{ path: folders.cache }] : []),
    // auditwheel repair (repair: auditwheel) writes the wheel there from inside.
    ...(folders.output ? [{ path: folders.output }] : []),
    ...(folders.readOnly ?? []).map((folder) => ({ path: folder, readOnly: true })),
  ];
  const box = await log.group(`${engine.name}: start ${request.image}`, () =>
    startBuildContainer({ engine, image: request.image, mounts, extra: request.extra, env, run }),
  );
  const arch = linuxArchOf() ?? 'x86_64';
  const boxEnv = folders.cache ? { ...box.env, CCACHE_DIR: folders.cache } : box.env;
  const label = `${engine.name}: ${request.image} (glibc ${box.glibc})`;
  log.info(`building in ${label}, mounted at their own paths: ${mounts.map((m) => m.path).join(', ')}`);
  return {
    label,
    run: (command, args, opts = {}) => box.run(command, args, { ...opts, env: opts.env ?? boxEnv }),
    env: boxEnv,
    which: (name, whichEnv) => box.which(name, whichEnv),
    findPython: (spec) => findImagePython(spec, request.image, box.run),
    platformTag: (input) => {
      const tag = containerPlatformTag(input, box.glibc, arch);
      if (tag !== input) log.info(`platform-tag auto in ${request.image}: ${tag}, the image's glibc ${box.glibc}`);
      return tag;
    },
    close: () => box.stop(),
  };
}
