import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readProvenance } from '../../src/builder/provenance';
import { ConfigurationError } from '../../src/core/errors';
import { Inputs } from '../../src/core/step';
import { step } from '../../src/steps/build';
import { wheelElfFiles } from '../../src/wheel/manylinux';
import { judge } from '../../src/wheel/policy';
import { recordingContext } from '../helpers/context';
import { containersConf, containerSkipReason, offlineWheels, TEST_IMAGE } from './helpers';

// The fixture built in a Debian bullseye image (glibc 2.31) by podman, with the runner's nvcc 13.0
// mounted read-only, against the same build on the runner (glibc 2.36). No registry, no network.
const FIXTURE = path.resolve(import.meta.dirname, '../fixtures/cudapkg');
const skip = containerSkipReason();
if (skip) console.warn(`test/container: skipped: ${skip}`);

describe.skipIf(Boolean(skip))('build: container', () => {
  let root: string;
  const saved = { ...process.env };
  const build = (inputs: Record<string, string>) =>
    step.run(
      new Inputs(step.spec, {
        package: 'generic',
        source: FIXTURE,
        torch: 'none',
        'cuda-version': '13.0',
        'arch-list': '9.0',
        'compile-cache': path.join(root, 'ccache'),
        ...inputs,
      }),
      recordingContext(),
    );

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'container-e2e-'));
    Object.assign(process.env, await offlineWheels(root), {
      RUNNER_TEMP: root,
      CONTAINERS_CONF: await containersConf(root),
    });
  });
  afterAll(async () => {
    process.env = saved;
    await rm(root, { recursive: true, force: true });
  });

  it("tags a wheel built in the image by the image's glibc (manylinux_2_31), and the runner's build by the runner's", async () => {
    const inside = await build({
      container: TEST_IMAGE,
      'container-engine': 'podman',
      python: '3.9',
      'output-dir': path.join(root, 'inside'),
    });
    const [wheel] = JSON.parse(inside.wheels!) as string[];
    expect(path.basename(wheel!)).toBe('cudapkg-0.1.0+cu130-cp39-cp39-manylinux_2_31_x86_64.whl');
    // The image's g++ and glibc made it: nothing in it needs more than 2.31.
    const needs = judge('x86_64', await wheelElfFiles(wheel!));
    expect(Number(needs.newest.GLIBC!.split('.')[1])).toBeLessThanOrEqual(31);
    // Its provenance names the image's compiler (bullseye's gcc 10) and the image to rebuild in.
    const provenance = await readProvenance(wheel!);
    expect(provenance?.toolchain.hostCompiler).toMatch(/ 10\.\d+\.\d+/);
    expect(provenance?.rebuild.join(' ')).toContain(`--container ${TEST_IMAGE}`);

    const host = await build({ container: 'none', python: '3.12', 'output-dir': path.join(root, 'host') });
    const [hostWheel] = JSON.parse(host.wheels!) as string[];
    const hostFloor = judge('x86_64', await wheelElfFiles(hostWheel!)).policy!.name;
    // glibc 2.34 moved pthread into libc: the runner's build needs it, the image's cannot.
    expect(hostFloor).not.toBe('manylinux_2_31');
    expect(path.basename(hostWheel!)).toBe(`cudapkg-0.1.0+cu130-cp312-cp312-${hostFloor}_x86_64.whl`);
  });

  it('fails a floor the image cannot meet, naming the symbol and the file', async () => {
    const error = await build({
      container: TEST_IMAGE,
      'container-engine': 'podman',
      python: '3.9',
      'platform-tag': 'manylinux_2_5',
      'output-dir': path.join(root, 'old'),
    }).then(
      () => new Error('did not fail'),
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toMatch(/^platform-tag: manylinux_2_5 cannot be given: .*_kernels\..*\.so.*GLIBC_2\.\d+/);
  });

  it('refuses an engine that cannot start the image before fetching anything, naming the engine and the fix', async () => {
    // The runner may not raise rlimits: without default_ulimits podman's runtime fails to start the container.
    process.env.CONTAINERS_CONF = await containersConf(root, { ulimits: false });
    try {
      const error = await build({
        container: TEST_IMAGE,
        'container-engine': 'podman',
        python: '3.9',
        // A git URL that no one answers: fetching it would be a different error.
        source: 'https://127.0.0.1:9/never.git',
        'output-dir': path.join(root, 'never'),
      }).then(
        () => new Error('did not fail'),
        (e: unknown) => e as Error,
      );
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(error.message).toMatch(/^container: podman could not start sagewheels-test\/bullseye: .*rlimit/);
      expect(error.message).toContain('default_ulimits');
      expect(error.message).toContain('container: none');
    } finally {
      process.env.CONTAINERS_CONF = path.join(root, 'containers.conf');
    }
  });

  it('refuses a Python the image does not have, naming where it looked', async () => {
    await writeFile(path.join(root, 'marker'), '');
    await expect(
      build({
        container: TEST_IMAGE,
        'container-engine': 'podman',
        python: '3.12',
        'output-dir': path.join(root, 'x'),
      }),
    ).rejects.toThrow(
      /^python: no Python 3\.12 in the image .* \(looked at \/opt\/python\/cp312-cp312\/bin\/python, python3\.12\)/,
    );
  });
});
