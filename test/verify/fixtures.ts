import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { StepFailed } from '../../src/core/errors';
import { runChecked } from '../../src/core/exec';
import { Inputs } from '../../src/core/step';
import { findPython } from '../../src/python/interpreter';
import { createVenv } from '../../src/python/venv';
import { formatRecord, recordHash } from '../../src/wheel/record';
import { readZip, writeZip, type ZipItem } from '../../src/wheel/zip';
import { step } from '../../src/steps/verify';
import type { Report } from '../../src/verify/report';
import { recordingContext } from '../helpers/context';
import { offlinePipEnv } from '../helpers/offline-pip';
import { folderKey, shared } from '../helpers/shared';
import { CUDA_HOME } from './nvcc';

export const FIXTURES = path.resolve(import.meta.dirname, '../fixtures');

let builder: Promise<string> | undefined;
const scratchDirs: string[] = [];

/** A temporary folder that removeScratch() deletes (call it in afterAll). */
export async function scratch(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), `verify-test-${prefix}-`));
  scratchDirs.push(dir);
  return dir;
}

export async function removeScratch(): Promise<void> {
  await Promise.all(scratchDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  builder = undefined;
}

/** One venv with setuptools and wheel (offline), shared by every fixture build of the test run. */
function builderPython(): Promise<string> {
  builder ??= shared('fixture builder venv: python 3.12, setuptools, wheel', async (dir) => {
    const venv = await createVenv(await findPython('3.12'), dir);
    const env = { ...process.env, ...offlinePipEnv() };
    await runChecked(venv.executable, ['-m', 'pip', 'install', '-q', 'setuptools', 'wheel'], { env });
    return venv.executable;
  });
  return builder;
}

/**
 * Builds a fixture package into a wheel as its own setup.py does: a fresh copy of the source
 * (no build/ or egg-info left from elsewhere), no build isolation, real nvcc. Built once per test
 * run for each fixture content and arch list; the wheel is shared, so callers must not change it.
 */
export async function buildFixtureWheel(
  fixture: string,
  archList: string,
  extraEnv: Record<string, string> = {},
): Promise<string> {
  const key = `fixture wheel: ${await folderKey(fixture)} TORCH_CUDA_ARCH_LIST=${archList} CUDA_HOME=${CUDA_HOME} ${JSON.stringify(extraEnv)}`;
  return shared(key, async (work) => {
    const python = await builderPython();
    const source = path.join(work, 'src');
    await cp(fixture, source, {
      recursive: true,
      filter: (from) => !/(^|[\\/])(build|[^\\/]+\.egg-info)$/.test(path.relative(fixture, from)),
    });
    const out = path.join(work, 'dist');
    await mkdir(out);
    const env = { ...process.env, ...offlinePipEnv(), CUDA_HOME, TORCH_CUDA_ARCH_LIST: archList, ...extraEnv };
    await runChecked(python, ['-m', 'pip', 'wheel', '--no-build-isolation', '--no-deps', '-q', source, '-w', out], {
      env,
      cwd: work,
    });
    const [wheel] = (await readdir(out)).filter((f) => f.endsWith('.whl'));
    if (!wheel) throw new Error(`no wheel was built from ${fixture}`);
    return path.join(out, wheel);
  });
}

/** Writes a wheel of these files, with a RECORD that matches them (as a build tool would). */
export async function writeWheel(file: string, items: ZipItem[]): Promise<string> {
  const info = items.find((i) => i.name.endsWith('.dist-info/METADATA'))!.name.split('/')[0]!;
  const files = items.filter((i) => !i.name.endsWith('.dist-info/RECORD'));
  const rows = files.map((i) => ({ path: i.name, hash: recordHash(i.data), size: String(i.data.length) }));
  const record = {
    name: `${info}/RECORD`,
    data: Buffer.from(formatRecord([...rows, { path: `${info}/RECORD`, hash: '', size: '' }])),
    mode: 0o644,
  };
  await mkdir(path.dirname(file), { recursive: true });
  await writeZip(file, [...files, record]);
  return file;
}

/** A copy of a wheel with its files changed and RECORD rewritten to match. */
export async function repackWheel(
  wheel: string,
  out: string,
  change: (items: ZipItem[]) => ZipItem[],
): Promise<string> {
  return writeWheel(out, change(await readZip(wheel)));
}

/**
 * The stand-in torch as a wheel in a PEP 503 folder index (file://, with the index.html pip
 * reads for a folder), so that `torch: install` runs as it does against PyTorch's index.
 */
export async function stubTorchIndex(dir: string, version: string): Promise<string> {
  const source = path.join(FIXTURES, 'verify', 'stubtorch', 'torch');
  const info = `torch-${version}.dist-info`;
  const text = (name: string, body: string): ZipItem => ({ name, data: Buffer.from(body), mode: 0o644 });
  const modules = await Promise.all(
    (await readdir(source)).map(async (f) => text(`torch/${f}`, await readFile(path.join(source, f), 'utf8'))),
  );
  const wheelName = `torch-${version}-py3-none-any.whl`;
  await writeWheel(path.join(dir, 'simple', 'torch', wheelName), [
    ...modules,
    text(`${info}/METADATA`, `Metadata-Version: 2.1\nName: torch\nVersion: ${version}\n`),
    text(
      `${info}/WHEEL`,
      'Wheel-Version: 1.0\nGenerator: sagewheels-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n',
    ),
  ]);
  await writeFile(path.join(dir, 'simple', 'torch', 'index.html'), `<a href="${wheelName}">${wheelName}</a>\n`);
  return `file://${path.join(dir, 'simple')}`;
}

/** A shared object whose init function needs a symbol nothing defines (dlopen refuses it), or crashes. */
export async function brokenExtension(
  dir: string,
  init: string,
  how: 'undefined-symbol' | 'segfault',
): Promise<Buffer> {
  const source = path.join(dir, `${how}.c`);
  const body =
    how === 'segfault'
      ? `void *${init}(void) { *(volatile int *)0 = 1; return 0; }\n`
      : `extern void *cudapkg_missing_symbol(void);\nvoid *${init}(void) { return cudapkg_missing_symbol(); }\n`;
  await writeFile(source, body);
  await runChecked('cc', ['-shared', '-fPIC', source, '-o', path.join(dir, `${how}.so`)]);
  return readFile(path.join(dir, `${how}.so`));
}

/**
 * Runs the verify step as its action does. A failed verification comes back with its outputs
 * (StepFailed), not thrown; the report is read back and its folder removed.
 */
export async function runVerifyStep(raw: Record<string, string>) {
  const ctx = recordingContext();
  const outcome = await step.run(new Inputs(step.spec, raw), ctx).then(
    (outputs) => ({ outputs, error: undefined as StepFailed | undefined }),
    (error: unknown) => {
      if (error instanceof StepFailed) return { outputs: error.outputs, error };
      throw error;
    },
  );
  const file = outcome.outputs.report!;
  const report = JSON.parse(await readFile(file, 'utf8')) as Report;
  await rm(path.dirname(file), { recursive: true, force: true });
  return { ...outcome, ctx, report };
}
