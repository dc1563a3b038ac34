import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findEngine } from '../../src/container/engine';
import { ConfigurationError } from '../../src/core/errors';
import { runProcess } from '../../src/core/exec';

/** A folder with a `docker` that answers `info` as a docker CLI without its daemon does. */
async function dockerWithoutDaemon(): Promise<string> {
  const bin = await mkdtemp(path.join(tmpdir(), 'engine-'));
  await writeFile(
    path.join(bin, 'docker'),
    '#!/bin/sh\necho "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2\nexit 1\n',
  );
  await chmod(path.join(bin, 'docker'), 0o755);
  return bin;
}

describe('findEngine', () => {
  it('with no engine on PATH, names both, and the way around them (container: none)', async () => {
    const error = await findEngine(
      'auto',
      'quay.io/pypa/manylinux_2_28_x86_64',
      { PATH: '/nonexistent' },
      runProcess,
    ).then(
      () => new Error('did not fail'),
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toBe(
      "container: building in quay.io/pypa/manylinux_2_28_x86_64 needs docker or podman, and docker is not on PATH; podman is not on PATH. Install docker or podman on the runner, or build on the host with container: none (the wheel then needs the host's glibc)",
    );
  });

  it("with a docker whose daemon is down, says so in docker's words and how to start it", async () => {
    const bin = await dockerWithoutDaemon();
    const error = await findEngine('docker', 'img', { PATH: bin }, runProcess).then(
      () => new Error('did not fail'),
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toMatch(
      /^container-engine: building in img needs docker, and "docker info" failed: Cannot connect to the Docker daemon/,
    );
    expect(error.message).toContain('Start the Docker daemon');
    expect(error.message).toContain('container: none');
  });

  it('auto takes podman when docker does not answer', async () => {
    const bin = await dockerWithoutDaemon();
    const podman = path.join(bin, 'podman');
    await writeFile(podman, '#!/bin/sh\nexit 0\n');
    await chmod(podman, 0o755);
    expect(await findEngine('auto', 'img', { PATH: bin }, runProcess)).toEqual({ name: 'podman', path: podman });
  });
});
