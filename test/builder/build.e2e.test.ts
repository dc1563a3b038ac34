import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuildFailure, buildWheel, type BuildOptions } from '../../src/builder/build';
import { ConfigurationError } from '../../src/core/errors';
import { runChecked, runProcess } from '../../src/core/exec';
import { Inputs } from '../../src/core/step';
import { PROFILES } from '../../src/packages/profiles';
import { findPython } from '../../src/python/interpreter';
import { createVenv } from '../../src/python/venv';
import { step } from '../../src/steps/build';
import { recordingContext } from '../helpers/context';
import { offlinePipEnv } from '../helpers/offline-pip';
import { fakeTorchWheel, sassTargets, simpleIndex, wheelFiles } from './helpers';

// The fixture built for real: nvcc 13.0, pyenv Pythons, offline pip, ccache; no GPU, no network.
const FIXTURE = path.resolve(import.meta.dirname, '../fixtures/cudapkg');
const offline = offlinePipEnv();
let root: string;
let cacheDir: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'build-e2e-'));
  cacheDir = path.join(root, 'ccache');
});

/** Installs wheels into a fresh venv with pip, offline, and runs `code` there. */
async function installAndRun(
  python: string,
  wheels: string[],
  findLinks: string[],
  code: string,
): Promise<{ version: string; output: string }> {
  const venv = await createVenv(await findPython(python), await mkdtemp(path.join(root, 'consumer-')));
  const env = { ...process.env, ...offline, PIP_FIND_LINKS: [...findLinks, offline.PIP_FIND_LINKS].join(' ') };
  await runChecked(venv.executable, ['-m', 'pip', 'install', '-q', ...wheels], { env });
  const shown = await runChecked(venv.executable, ['-m', 'pip', 'show', 'cudapkg'], { env });
  const output = await runChecked(venv.executable, ['-c', code], { env, cwd: root });
  return { version: /^Version: (.+)$/m.exec(shown.stdout)![1]!, output: output.stdout.trim() };
}

describe('the build step on the cudapkg fixture', () => {
  let outputs: Record<string, string>;
  let ctx: ReturnType<typeof recordingContext>;
  const saved = { ...process.env };

  beforeAll(async () => {
    // The runner's own TORCH_CUDA_ARCH_LIST (the GPU machine has 9.0a) must not decide the archs.
    Object.assign(process.env, offline, { TORCH_CUDA_ARCH_LIST: '9.0a', RUNNER_TEMP: root });
    ctx = recordingContext();
    const inputs = new Inputs(step.spec, {
      package: 'generic',
      container: 'none',
      source: FIXTURE,
      python: '3.12',
      torch: 'none',
      'arch-list': '9.0 12.0',
      'compile-cache': cacheDir,
      'output-dir': path.join(root, 'out'),
    });
    outputs = await step.run(inputs, ctx);
  });
  afterAll(() => {
    process.env = saved;
  });

  it('hands setup.py "9.0;12.0", so a ;-splitting setup.py builds sm_90a and sm_120a from "9.0 12.0"', async () => {
    const wheels = JSON.parse(outputs.wheels!) as string[];
    // platform-tag auto: the oldest manylinux the module's symbols allow (manylinux_2_34 on glibc 2.36).
    expect(wheels.map((w) => path.basename(w))).toEqual([
      expect.stringMatching(/^cudapkg-0\.1\.0\+cu130-cp312-cp312-manylinux_2_\d+_x86_64\.whl$/),
    ]);
    expect(outputs['wheel-dir']).toBe(path.join(root, 'out'));
    expect(Number(outputs['build-seconds'])).toBeGreaterThan(0);
    const so = [...(await wheelFiles(wheels[0]!))].find(([name]) => name.endsWith('.so'))!;
    const extracted = path.join(root, 'kernels.so');
    await writeFile(extracted, so[1]);
    expect(await sassTargets(extracted)).toEqual(['sm_120a', 'sm_90a']);
    expect(ctx.text()).toContain('TORCH_CUDA_ARCH_LIST=9.0;12.0');
  });

  it('labels the wheel +cu130 (no torch), and pip installs it under that version and imports it', async () => {
    const [wheel] = JSON.parse(outputs.wheels!) as string[];
    const { version, output } = await installAndRun(
      '3.12',
      [wheel!],
      [],
      'import cudapkg; print(cudapkg.runtime_version())',
    );
    expect(version).toBe('0.1.0+cu130');
    expect(output).toBe('13000');
  });

  it('puts the log in a group and wheel, size, seconds and cache counts in the summary', () => {
    expect(
      ctx.lines.find((l) => l.level === 'group' && l.message.startsWith('Build log: pip wheel --no-build-isolation')),
    ).toBeDefined();
    expect(ctx.text()).toMatch(/nvcc .*-gencode arch=compute_90a,code=sm_90a -gencode arch=compute_120a,code=sm_120a/);
    const table = ctx.summary.find((b) => b.kind === 'table');
    expect(table).toMatchObject({ header: ['wheel', 'size', 'seconds', 'compile cache'] });
    const row = (table as { rows: string[][] }).rows[0]!;
    expect(row[0]).toMatch(/^cudapkg-0\.1\.0\+cu130-cp312-cp312-manylinux_2_\d+_x86_64\.whl$/);
    expect(row[1]).toMatch(/^\d+\.\d MiB$/);
    expect(row[3]).toMatch(/^\d+ hits, \d+ misses/);
  });

  it('on a failed build, puts the cause and the end of the log in the summary', async () => {
    const source = path.join(root, 'imports-torch');
    await mkdir(source);
    await writeFile(path.join(source, 'setup.py'), 'import torch\n');
    const failed = recordingContext();
    const inputs = new Inputs(step.spec, {
      package: 'generic',
      container: 'none',
      source,
      python: '3.11',
      torch: 'none',
      'arch-list': '8.0',
      'compile-cache': 'off',
    });
    await expect(step.run(inputs, failed)).rejects.toThrow(/^build failed: setup\.py imports torch/);
    expect(failed.summary.map((b) => b.kind)).toEqual(['heading', 'text', 'details']);
    expect(failed.summary[2]).toMatchObject({
      kind: 'details',
      label: 'End of the build log',
      body: expect.stringContaining("No module named 'torch'"),
    });
  });
});

describe('several Pythons sharing one compile cache', () => {
  const options = (python: string): BuildOptions => ({
    profile: PROFILES.generic,
    source: FIXTURE,
    python,
    torch: 'none',
    archList: '8.0',
    versionSuffix: 'none',
    platformTag: 'linux',
    jobs: 'auto',
    compileCache: path.join(root, 'shared-ccache'),
    outputDir: path.join(root, 'pythons'),
    env: { ...process.env, ...offline, RUNNER_TEMP: root },
  });

  it('builds 3.10-3.13 in one run; the kernel object is compiled once and hit after', async () => {
    const results = [];
    for (const python of ['3.10', '3.11', '3.12', '3.13'])
      results.push(await buildWheel(options(python), recordingContext().log));
    expect(results.map((r) => path.basename(r.wheels[0]!))).toEqual(
      ['310', '311', '312', '313'].map((v) => `cudapkg-0.1.0-cp${v}-cp${v}-linux_x86_64.whl`),
    );
    // kernels.cu does not see Python; module.c includes Python.h, so it differs per version.
    expect(results.map((r) => [r.cache?.hits, r.cache?.misses])).toEqual([
      [0, 2],
      [1, 1],
      [1, 1],
      [1, 1],
    ]);
    const again = await buildWheel(options('3.12'), recordingContext().log);
    expect([again.cache?.hits, again.cache?.misses]).toEqual([2, 0]);
  });
});

describe('torch: install from an index', () => {
  let index: Awaited<ReturnType<typeof simpleIndex>>;
  let torchDir: string;
  beforeAll(async () => {
    torchDir = path.join(root, 'torch-wheels');
    await mkdir(torchDir);
    index = await simpleIndex([
      await fakeTorchWheel(torchDir, '2.9.1+cu130', '13.0'),
      await fakeTorchWheel(torchDir, '2.7.1+cu128', '12.8'),
    ]);
  });
  afterAll(() => index.close());

  const options = (torchVersion: string): BuildOptions => ({
    profile: PROFILES.generic,
    source: FIXTURE,
    python: '3.11',
    torch: 'install',
    torchVersion,
    torchIndexUrl: index.url,
    archList: '12.0',
    versionSuffix: 'auto',
    platformTag: 'linux',
    jobs: '2',
    compileCache: 'off',
    outputDir: path.join(root, 'with-torch'),
    // The index is asked (no PIP_NO_INDEX); setuptools and wheel come from the local wheels.
    env: { ...process.env, PIP_FIND_LINKS: offline.PIP_FIND_LINKS, PIP_INDEX_URL: index.url, RUNNER_TEMP: root },
  });

  it('installs exactly torch==version from the index, labels the wheel with it and pins its minor', async () => {
    const result = await buildWheel(options('2.9.1'), recordingContext().log);
    expect(index.requests).toContain('/simple/torch/');
    expect(result.torch).toMatchObject({ version: '2.9.1+cu130', cuda: '13.0' });
    expect(path.basename(result.wheels[0]!)).toBe('cudapkg-0.1.0+cu130torch2.9.1-cp311-cp311-linux_x86_64.whl');
    const metadata = (await wheelFiles(result.wheels[0]!))
      .get('cudapkg-0.1.0+cu130torch2.9.1.dist-info/METADATA')!
      .toString();
    expect(metadata).toMatch(/^Requires-Dist: torch>=2\.9,<2\.10$/m);
    const { version } = await installAndRun(
      '3.11',
      [result.wheels[0]!],
      [torchDir],
      'import torch, cudapkg; print(torch.__version__)',
    );
    expect(version).toBe('0.1.0+cu130torch2.9.1');
  });

  it('refuses torch built for another CUDA major than nvcc, before building', async () => {
    const ctx = recordingContext();
    const error = await buildWheel(options('2.7.1'), ctx.log).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toBe(
      'cuda-version: torch 2.7.1+cu128 was built with CUDA 12.8, but nvcc is CUDA 13.0.88. PyTorch refuses to build extensions across CUDA major versions: set up CUDA 12.x, or use torch built for CUDA 13',
    );
    expect(ctx.text()).not.toContain('Build log');
  });
});

describe('failures', () => {
  const base = (source: string, overrides: Partial<BuildOptions> = {}): BuildOptions => ({
    profile: PROFILES.generic,
    source,
    python: '3.11',
    torch: 'none',
    archList: '9.0;12.0',
    versionSuffix: 'auto',
    jobs: '1',
    compileCache: 'off',
    outputDir: path.join(root, 'failed-out'),
    env: { ...process.env, ...offline, RUNNER_TEMP: root },
    ...overrides,
  });
  async function pkg(name: string, setupPy: string): Promise<string> {
    const dir = path.join(root, name);
    await mkdir(dir);
    await writeFile(path.join(dir, 'setup.py'), setupPy);
    return dir;
  }

  it('turns a known failure in the log into one line of cause and remedy, with the end of the log', async () => {
    const source = await pkg(
      'needs-torch',
      'import torch\nfrom setuptools import setup\nsetup(name="needs-torch", version="1")\n',
    );
    const error = await buildWheel(base(source), recordingContext().log).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BuildFailure);
    expect((error as BuildFailure).message).toMatch(
      /^build failed: setup\.py imports torch, but the build environment has none\. Use torch: install/,
    );
    expect((error as BuildFailure).logTail).toContain("No module named 'torch'");
    expect(existsSync(path.join(root, 'failed-out'))).toBe(false);
  });

  it("names a preinstalled torch that does not import as the cause, in the interpreter's own words", async () => {
    // Taken on its version.py (no import: seconds on a GPU runner); setup.py's import then fails.
    const site = path.join(root, 'broken-torch');
    await mkdir(path.join(site, 'torch'), { recursive: true });
    await writeFile(path.join(site, 'torch', '__init__.py'), 'import typing_extensions_not_here\n');
    await writeFile(path.join(site, 'torch', 'version.py'), "__version__ = '2.11.0+cu130'\ncuda = '13.0'\n");
    const source = await pkg(
      'imports-broken-torch',
      'import torch\nfrom setuptools import setup\nsetup(name="imports-broken-torch", version="1")\n',
    );
    const env = { ...process.env, ...offline, RUNNER_TEMP: root, PYTHONPATH: site };
    const error = await buildWheel(base(source, { torch: 'preinstalled', env }), recordingContext().log).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(
      /^torch: "preinstalled" but import torch fails in \S+: ModuleNotFoundError: No module named 'typing_extensions_not_here'\. Fix that interpreter's packages/,
    );
  });

  it('refuses 9.0 with 12.0 from a SageAttention setup.py that gives every module every arch and cannot be routed, before building', async () => {
    // Sources not written as a literal list: sagewheels cannot tell which files make _qattn_sm90.
    const source = await pkg(
      'sage-shared-flags',
      'ext_modules.append(CUDAExtension(name="sageattention._qattn_sm90", sources=SM90_SOURCES, extra_compile_args={"cxx": cxx, "nvcc": NVCC_FLAGS}))\n',
    );
    const ctx = recordingContext();
    await expect(buildWheel(base(source, { profile: PROFILES.sageattention }), ctx.log)).rejects.toThrow(
      /^arch-list: 9\.0;12\.0 cannot be built together from this source: .*ptxas would fail on 12\.0\./,
    );
    expect(ctx.lines.map((l) => l.message).some((m) => m.startsWith('Python'))).toBe(false);
  });

  it('refuses bad inputs before fetching anything', async () => {
    const ctx = recordingContext();
    const refuse = (overrides: Partial<BuildOptions>) =>
      buildWheel(base('https://example.invalid/never-fetched.git', overrides), ctx.log);
    await expect(refuse({ versionSuffix: 'cu 128' })).rejects.toThrow(
      'version-suffix: "cu 128" is not a PEP 440 local label',
    );
    await expect(refuse({ torch: 'install' })).rejects.toThrow('torch-version: is required when torch is "install"');
    await expect(refuse({ torch: 'install', torchVersion: '2.7' })).rejects.toThrow(
      'torch-version: "2.7" is not an exact release',
    );
    await expect(refuse({ torch: 'install', torchVersion: '2.4.1' })).rejects.toThrow(
      'torch-version: torch "2.4.1" is not a PyTorch release. Nearest published: 2.5.0',
    );
    await expect(refuse({ torch: 'install', torchVersion: '2.7.1' })).rejects.toThrow(
      'torch-version: torch 2.7.1 has no CUDA 13.0 build for linux-x86_64. It is built for CUDA 11.8, 12.6, 12.8 there',
    );
    await expect(refuse({ cudaVersion: '12.8' })).rejects.toThrow(
      /^cuda-version: no CUDA 12\.8 toolkit on this runner: found only 13\.0\.\d+ in /,
    );
    await expect(refuse({ archList: '9.0 sm_12' })).rejects.toThrow(
      /^arch-list: "9\.0 sm_12" was split into "9\.0", "sm_12" .*: "sm_12" is not a GPU architecture/,
    );
    await expect(refuse({ jobs: 'lots' })).rejects.toThrow('jobs: "lots" is not allowed');
    await expect(refuse({ source: '', profile: PROFILES.generic })).rejects.toThrow(
      'source: is required for package generic',
    );
    expect(ctx.lines).toEqual([]);
    expect((await runProcess('ls', [root])).stdout).not.toMatch(/sagewheels-build-/);
  });
});
