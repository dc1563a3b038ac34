import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { which } from '../../src/builder/which';
import { offlinePipEnv } from '../helpers/offline-pip';

/** The image test/container/make-image.sh makes: Debian bullseye, glibc 2.31, Python 3.9, g++ 10, ccache. */
export const TEST_IMAGE = process.env.SAGEWHEELS_TEST_IMAGE ?? 'sagewheels-test/bullseye';

/** Why the container tests cannot run here, or undefined when podman and the image are present. */
export function containerSkipReason(): string | undefined {
  if (!which('podman', process.env)) return 'podman is not installed (apt-get install podman runc)';
  if (spawnSync('podman', ['image', 'exists', TEST_IMAGE]).status !== 0)
    return `the image ${TEST_IMAGE} is missing (bash test/container/make-image.sh)`;
  return undefined;
}

/**
 * podman's configuration for this VM (hybrid cgroups, a runner that may not raise rlimits), written
 * where CONTAINERS_CONF will name it: the engine's own configuration is the place for host quirks.
 */
export async function containersConf(dir: string, { ulimits = true } = {}): Promise<string> {
  const file = path.join(dir, ulimits ? 'containers.conf' : 'containers-no-ulimits.conf');
  await writeFile(
    file,
    [
      '[engine]',
      'runtime = "runc"',
      'cgroup_manager = "cgroupfs"',
      '',
      '[containers]',
      ...(ulimits ? ['default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]'] : []),
      '',
    ].join('\n'),
  );
  return file;
}

/**
 * Upstream setuptools and wheel wheels (the ones CPython ships for its own tests, which
 * offlinePipEnv finds) copied under `dir`, which the container sees: pip without a network, in the
 * image and on the runner alike. Debian's own are patched for one Debian's Python.
 */
export async function offlineWheels(dir: string): Promise<Record<string, string>> {
  const links = path.join(dir, 'wheels');
  await mkdir(links, { recursive: true });
  const found = (offlinePipEnv().PIP_FIND_LINKS ?? '').split(' ').filter((folder) => !folder.startsWith('/usr/share/'));
  for (const folder of found)
    for (const name of await readdir(folder))
      if (/^(setuptools|wheel)-.*\.whl$/.test(name)) await copyFile(path.join(folder, name), path.join(links, name));
  return { PIP_NO_INDEX: '1', PIP_FIND_LINKS: links, PIP_DISABLE_PIP_VERSION_CHECK: '1' };
}
