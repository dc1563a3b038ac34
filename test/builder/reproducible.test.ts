import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWheel, type BuildOptions } from '../../src/builder/build';
import { firstDifference, parseEpoch, sourceDateEpoch, ZIP_EPOCH } from '../../src/builder/reproducible';
import { runChecked } from '../../src/core/exec';
import { PROFILES } from '../../src/packages/profiles';
import { recordingContext } from '../helpers/context';
import { offlinePipEnv } from '../helpers/offline-pip';

// The fixture built for real (nvcc 13.0, gcc, pip, offline) from two checkouts in different folders;
// its kernel is in an anonymous namespace, whose name nvcc derives from the path it is compiled at.
const FIXTURE = path.resolve(import.meta.dirname, '../fixtures/cudapkg');
const COMMITTED = '2026-03-04T05:06:08Z';
const offline = offlinePipEnv();
let root: string;

const sha256 = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

/** A git checkout of the fixture in `name`, committed at COMMITTED. */
async function checkout(name: string): Promise<string> {
  const dir = path.join(root, name, 'cudapkg');
  await cp(FIXTURE, dir, { recursive: true, filter: (from) => !/\/(build|.*\.egg-info)$/.test(from) });
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 't',
    GIT_AUTHOR_EMAIL: 't@example.com',
    GIT_COMMITTER_NAME: 't',
    GIT_COMMITTER_EMAIL: 't@example.com',
    GIT_AUTHOR_DATE: COMMITTED,
    GIT_COMMITTER_DATE: COMMITTED,
  };
  await runChecked('git', ['init', '-q', dir], { env });
  await runChecked('git', ['add', '-A'], { env, cwd: dir });
  await runChecked('git', ['commit', '-q', '-m', 'fixture'], { env, cwd: dir });
  return dir;
}

const options = (source: string, overrides: Partial<BuildOptions> = {}): BuildOptions => ({
  profile: PROFILES.generic,
  source,
  python: '3.12',
  torch: 'none',
  archList: '8.0;9.0',
  versionSuffix: 'auto',
  jobs: '2',
  compileCache: 'off',
  outputDir: path.join(source, '..', 'out'),
  env: { ...process.env, ...offline, RUNNER_TEMP: root },
  ...overrides,
});

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'reproducible-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('byte-reproducible wheels (real nvcc, gcc, pip)', () => {
  it('two checkouts in different folders give the same sha256; check rebuilds and compares', async () => {
    const ctx = recordingContext();
    const first = await buildWheel(options(await checkout('one'), { reproducible: 'check' }), ctx.log);
    expect(first.rebuild).toMatchObject({ identical: true });
    expect(ctx.text()).toContain('reproducible: the rebuild gave the same bytes (cudapkg-0.1.0+cu130-cp312');
    expect(first.epoch).toEqual({ epoch: Date.parse(COMMITTED) / 1000, from: 'the commit time of the source' });

    const second = await buildWheel(options(await checkout('second-folder')), recordingContext().log);
    expect(path.basename(second.wheels[0]!)).toBe(path.basename(first.wheels[0]!));
    expect(await sha256(second.wheels[0]!)).toBe(await sha256(first.wheels[0]!));
    expect(await firstDifference(first.wheels[0]!, second.wheels[0]!)).toBeUndefined();

    // The commit time is every entry's time.
    const { stdout } = await runChecked('python3', [
      '-c',
      'import sys, zipfile; print(sorted({i.date_time for i in zipfile.ZipFile(sys.argv[1]).infolist()}))',
      first.wheels[0]!,
    ]);
    expect(stdout.trim()).toBe('[(2026, 3, 4, 5, 6, 8)]');
  });

  it('without the flags (reproducible: false) the library differs, and the comparison names it', async () => {
    const a = await buildWheel(options(await checkout('plain-a'), { reproducible: 'false' }), recordingContext().log);
    const b = await buildWheel(options(await checkout('plain-b'), { reproducible: 'false' }), recordingContext().log);
    expect(await sha256(a.wheels[0]!)).not.toBe(await sha256(b.wheels[0]!));
    expect(await firstDifference(a.wheels[0]!, b.wheels[0]!)).toMatch(
      /^cudapkg\/_kernels\.cpython-312-x86_64-linux-gnu\.so differs \(\d+ of \d+ bytes, the first at offset \d+\)$/,
    );
  });
});

describe('reproducible: check', () => {
  it('fails the build naming the file that differs when the package writes something random', async () => {
    const source = path.join(root, 'random-pkg');
    await mkdir(source);
    await writeFile(
      path.join(source, 'setup.py'),
      [
        'import os',
        'from setuptools import setup',
        'os.makedirs("randompkg", exist_ok=True)',
        'open("randompkg/__init__.py", "w").write("BUILD_ID = %r\\n" % os.urandom(8).hex())',
        'setup(name="randompkg", version="1.0", packages=["randompkg"])',
      ].join('\n'),
    );
    await writeFile(path.join(source, 'pyproject.toml'), '[build-system]\nrequires = ["setuptools>=61", "wheel"]\n');
    const error = await buildWheel(options(source, { reproducible: 'check' }), recordingContext().log).catch(
      (e: unknown) => e,
    );
    // The 16 random hex digits start at offset 12; the two builds' may share their first few.
    expect((error as Error).message).toMatch(
      /^reproducible: randompkg-1\.0\+cu130-py3-none-any\.whl is not the same when rebuilt: randompkg\/__init__\.py differs \(\d+ of 30 bytes, the first at offset (1[2-9]|2\d)\)/,
    );
  });
});

describe('SOURCE_DATE_EPOCH', () => {
  it("comes from the input, the runner's variable, the commit, or 1980", async () => {
    const dir = await checkout('epoch');
    expect(await sourceDateEpoch('1700000000', dir, {})).toEqual({ epoch: 1700000000, from: 'source-date-epoch' });
    expect((await sourceDateEpoch('auto', dir, { ...process.env, SOURCE_DATE_EPOCH: '1600000000' })).epoch).toBe(
      1600000000,
    );
    expect((await sourceDateEpoch('auto', dir, process.env)).epoch).toBe(Date.parse(COMMITTED) / 1000);
    expect((await sourceDateEpoch('auto', await mkdtemp(path.join(root, 'nogit-')), process.env)).epoch).toBe(
      ZIP_EPOCH,
    );
    // A copy that sits untracked inside another checkout is not that checkout's commit.
    const copy = path.join(dir, 'copied-in');
    await cp(FIXTURE, copy, { recursive: true });
    expect(await sourceDateEpoch('auto', copy, process.env)).toEqual({
      epoch: ZIP_EPOCH,
      from: 'no git commit in the source: 1980-01-01',
    });
    expect(() => parseEpoch('yesterday')).toThrow(/^source-date-epoch: "yesterday" is not a time\. Allowed: auto/);
  });
});
