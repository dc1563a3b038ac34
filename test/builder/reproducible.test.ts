import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWheel, type BuildOptions } from '../../src/builder/build';
import { readProvenance } from '../../src/builder/provenance';
import { firstDifference, parseEpoch, sourceDateEpoch, ZIP_EPOCH } from '../../src/builder/reproducible';
import { runCli } from '../../src/cli/main';
import { runChecked } from '../../src/core/exec';
import { PROFILES } from '../../src/packages/profiles';
import { STEPS } from '../../src/registry';
import { recordingContext } from '../helpers/context';
import { offlinePipEnv } from '../helpers/offline-pip';

// The fixture built for real (nvcc 13.0, gcc, pip, offline) from two checkouts in different folders;
// its kernel is in an anonymous namespace, whose name nvcc derives from the path it is compiled at.
const FIXTURE = path.resolve(import.meta.dirname, '../fixtures/cudapkg');
const COMMITTED = '2026-03-04T05:06:08Z';
const offline = offlinePipEnv();
let root: string;
/** The first build's wheel and the flags it records, for the rebuild through the CLI. */
let published: { wheel: string; rebuild: string[] } | undefined;

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
  it('runners with different RUNNER_TEMP, TMPDIR and source folders give the same sha256; check rebuilds and compares', async () => {
    const ctx = recordingContext();
    const first = await buildWheel(options(await checkout('one'), { reproducible: 'check' }), ctx.log);
    expect(first.rebuild).toMatchObject({ identical: true });
    expect(ctx.text()).toContain('reproducible: the rebuild gave the same bytes (cudapkg-0.1.0+cu130-cp312');
    expect(first.epoch).toEqual({ epoch: Date.parse(COMMITTED) / 1000, from: 'the commit time of the source' });

    // Another runner, installed elsewhere: its own RUNNER_TEMP and TMPDIR, the checkout in another folder.
    const elsewhere = path.join(root, 'opt', 'runner2', '_work');
    const [runnerTemp, tmp] = [path.join(elsewhere, '_temp'), path.join(elsewhere, 'tmp')];
    await Promise.all([mkdir(runnerTemp, { recursive: true }), mkdir(tmp, { recursive: true })]);
    const secondEnv = { ...process.env, ...offline, RUNNER_TEMP: runnerTemp, TMPDIR: tmp };
    const second = await buildWheel(
      options(await checkout('second-folder'), { env: secondEnv }),
      recordingContext().log,
    );
    expect(path.basename(second.wheels[0]!)).toBe(path.basename(first.wheels[0]!));
    expect(await firstDifference(first.wheels[0]!, second.wheels[0]!)).toBeUndefined();
    expect(await sha256(second.wheels[0]!)).toBe(await sha256(first.wheels[0]!));

    // The wheel says what decided its bytes, and how to build them again.
    const provenance = await readProvenance(first.wheels[0]!);
    expect(provenance).toEqual({
      buildFolder: process.env.SAGEWHEELS_BUILD_FOLDER,
      source: { commit: expect.stringMatching(/^[0-9a-f]{40}$/) },
      sourceDateEpoch: Date.parse(COMMITTED) / 1000,
      toolchain: {
        nvcc: expect.stringMatching(/^13\.0\.\d+$/),
        hostCompiler: expect.stringMatching(/^(c\+\+|g\+\+) \(.*\) \d+\.\d+/),
        python: expect.stringMatching(/^3\.12\.\d+$/),
      },
      flags: expect.objectContaining({
        TORCH_CUDA_ARCH_LIST: '8.0;9.0',
        NVCC_APPEND_FLAGS: `--split-compile=8 -Xcompiler=-ffile-prefix-map=${process.env.SAGEWHEELS_BUILD_FOLDER}=/sagewheels`,
        SOURCE_DATE_EPOCH: String(Date.parse(COMMITTED) / 1000),
      }),
      rebuild: [
        '--package',
        'generic',
        '--python',
        '3.12',
        '--torch',
        'none',
        '--cuda-version',
        '13.0',
        '--arch-list',
        '8.0;9.0',
        '--version-suffix',
        'auto',
        '--abi',
        'auto',
        '--platform-tag',
        'auto',
        '--repair',
        'builtin',
        '--container',
        'none',
        '--source-date-epoch',
        String(Date.parse(COMMITTED) / 1000),
      ],
    });
    expect(await readProvenance(second.wheels[0]!)).toEqual(provenance);
    published = { wheel: first.wheels[0]!, rebuild: provenance!.rebuild };

    // The commit time is every entry's time.
    const { stdout } = await runChecked('python3', [
      '-c',
      'import sys, zipfile; print(sorted({i.date_time for i in zipfile.ZipFile(sys.argv[1]).infolist()}))',
      first.wheels[0]!,
    ]);
    expect(stdout.trim()).toBe('[(2026, 3, 4, 5, 6, 8)]');
  }, 600_000);

  it("rebuilds a wheel from the flags it records, through the CLI, byte for byte (docs/reproducible.md's command)", async () => {
    expect(published).toBeDefined();
    const source = await checkout('laptop');
    const out = path.join(root, 'laptop', 'rebuilt');
    const saved = { ...process.env };
    // Another machine: its own temp folders, the step's default compile cache (auto) in its own folder.
    Object.assign(process.env, offline, {
      TMPDIR: path.join(root, 'laptop'),
      CCACHE_DIR: path.join(root, 'laptop', 'ccache'),
    });
    delete process.env.RUNNER_TEMP;
    let err = '';
    try {
      const code = await runCli(['build', ...published!.rebuild, '--source', source, '--output-dir', out], STEPS, {
        out: () => undefined,
        err: (text) => void (err += text),
        env: process.env,
      });
      expect(code, err).toBe(0);
    } finally {
      process.env = saved;
    }
    const rebuilt = path.join(out, path.basename(published!.wheel));
    expect(await sha256(rebuilt)).toBe(await sha256(published!.wheel));
  }, 600_000);

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
