import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuildFailure, buildWheel, type BuildOptions } from '../../src/builder/build';
import { PROFILES } from '../../src/packages/profiles';
import { recordingContext } from '../helpers/context';
import { offlinePipEnv } from '../helpers/offline-pip';

// Python 3.9's venv comes with setuptools 58, older than the fixture's `setuptools>=61`: it does
// not read pyproject.toml's [project] and names the wheel UNKNOWN-0.0.0 (issue 12, item 2).
const FIXTURE = path.resolve(import.meta.dirname, '../fixtures/cudapkg');
let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'build-identity-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

const options = (findLinks: string): BuildOptions => ({
  profile: PROFILES.generic,
  source: FIXTURE,
  python: '3.9',
  torch: 'none',
  archList: '8.0',
  versionSuffix: 'auto',
  jobs: '2',
  compileCache: 'off',
  outputDir: path.join(root, 'out'),
  env: {
    ...process.env,
    PIP_NO_INDEX: '1',
    PIP_FIND_LINKS: findLinks,
    PIP_DISABLE_PIP_VERSION_CHECK: '1',
    RUNNER_TEMP: root,
  },
});

describe('a build requirement the venv has at another version', () => {
  it('is installed when pip can have it, so the wheel carries the project name and version', async () => {
    const ctx = recordingContext();
    const result = await buildWheel(options(offlinePipEnv().PIP_FIND_LINKS!), ctx.log);
    expect(path.basename(result.wheels[0]!)).toMatch(/^cudapkg-0\.1\.0\+cu130-cp39-cp39-manylinux_2_\d+_x86_64\.whl$/);
    expect(ctx.text()).toMatch(
      /installing build requirements? [^\n]*setuptools>=61 \(the venv has setuptools 58\.\d+\.\d+\)/,
    );
  });

  it('when pip cannot have it, the build fails on the UNKNOWN-0.0.0 wheel instead of reporting success', async () => {
    // Only `wheel` can be had: setuptools stays at 58.
    const links = path.join(root, 'only-wheel');
    await mkdir(links);
    await copyFile(
      '/usr/share/python-wheels/wheel-0.38.4-py3-none-any.whl',
      path.join(links, 'wheel-0.38.4-py3-none-any.whl'),
    );
    const ctx = recordingContext();
    const error = await buildWheel(options(links), ctx.log).catch((e: Error) => e);
    expect(error).toBeInstanceOf(BuildFailure);
    expect((error as Error).message).toMatch(
      /^build failed: the wheel is UNKNOWN-0\.0\.0-cp39-cp39-linux_x86_64\.whl: the build backend did not read the project's name and version/,
    );
    expect(ctx.lines.filter((l) => l.level === 'warning').map((l) => l.message)).toContainEqual(
      expect.stringMatching(
        /^could not install build requirement setuptools>=61 \(.*\); building with setuptools 58\.[\d.]+ as it is$/,
      ),
    );
  });
});
