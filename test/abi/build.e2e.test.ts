import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWheel, type BuildOptions } from '../../src/builder/build';
import { summaryText } from '../../src/core/summary';
import { Inputs } from '../../src/core/step';
import { PROFILES } from '../../src/packages/profiles';
import { step } from '../../src/steps/build';
import { fakeTorchWheel, simpleIndex, wheelFiles } from '../builder/helpers';
import { recordingContext } from '../helpers/context';
import { offlinePipEnv } from '../helpers/offline-pip';

// The limited-API fixture built for real: nvcc 13.0, pyenv Pythons, offline pip; no GPU, no network.
const FIXTURE = path.resolve(import.meta.dirname, '../fixtures/cudapkg-abi3');
const offline = offlinePipEnv();
let root: string;
const saved = { ...process.env };

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'abi-build-'));
  Object.assign(process.env, offline, { RUNNER_TEMP: root });
});
afterAll(async () => {
  process.env = saved;
  await rm(root, { recursive: true, force: true });
});

const stepInputs = (raw: Record<string, string>) =>
  new Inputs(step.spec, {
    package: 'generic',
    container: 'none',
    source: FIXTURE,
    python: '3.12',
    torch: 'none',
    'arch-list': '9.0',
    'compile-cache': 'off',
    'output-dir': path.join(root, 'out'),
    ...raw,
  });

describe('building by ABI', () => {
  it('builds the limited-API fixture into one cp310-abi3 wheel, and says so', async () => {
    const ctx = recordingContext();
    const outputs = await step.run(stepInputs({}), ctx);
    const wheels = JSON.parse(outputs.wheels!) as string[];
    // The tag pip gave (cp310-abi3) stays; the platform is the manylinux one its ELF needs hold under.
    expect(wheels).toHaveLength(1);
    expect(path.basename(wheels[0]!)).toMatch(/^cudapkg-0\.1\.0\+cu130-cp310-abi3-manylinux_2_\d+_x86_64\.whl$/);
    expect([...(await wheelFiles(wheels[0]!)).keys()]).toContain('cudapkg/_kernels.abi3.so');
    expect(ctx.text()).toContain('info: ABI: abi3 from Python 3.10');
    expect(summaryText(ctx.summary)).toContain('ABI: abi3 from Python 3.10');
  });

  it('refuses abi: stable for a source without TORCH_STABLE_ONLY, before building', async () => {
    const ctx = recordingContext();
    await expect(step.run(stepInputs({ abi: 'stable' }), ctx)).rejects.toThrow(/^abi: stable\. .*TORCH_STABLE_ONLY/);
    expect(ctx.text()).not.toContain('Build log');
  });

  it('labels a stable-ABI wheel "andhigher" and requires torch from the built minor on, keeping its abi3 tag', async () => {
    const source = path.join(root, 'stable-src');
    await cp(FIXTURE, source, { recursive: true });
    const setup = path.join(source, 'setup.py');
    const text = await readFile(setup, 'utf8');
    await writeFile(
      setup,
      text.replace(
        'py_limited_api=True,',
        'py_limited_api=True,\n            extra_compile_args=["-DTORCH_STABLE_ONLY"],',
      ),
    );
    const torchDir = path.join(root, 'torch-wheels');
    await mkdir(torchDir);
    const index = await simpleIndex([await fakeTorchWheel(torchDir, '2.9.1+cu130', '13.0')]);
    try {
      const options: BuildOptions = {
        profile: PROFILES.generic,
        source,
        python: '3.11',
        torch: 'install',
        torchVersion: '2.9.1',
        torchIndexUrl: index.url,
        archList: '9.0',
        versionSuffix: 'auto',
        jobs: '2',
        compileCache: 'off',
        outputDir: path.join(root, 'stable-out'),
        env: { ...process.env, PIP_NO_INDEX: '', PIP_INDEX_URL: index.url },
      };
      const metadataOf = async (wheel: string, label: string) =>
        (await wheelFiles(wheel)).get(`cudapkg-0.1.0+${label}.dist-info/METADATA`)!.toString();
      const ctx = recordingContext();
      const result = await buildWheel(options, ctx.log);
      expect(result.abi.stable?.torch).toBe('2.9');
      expect(path.basename(result.wheels[0]!)).toMatch(
        /^cudapkg-0\.1\.0\+cu130torch2\.9\.1andhigher-cp310-abi3-manylinux_2_\d+_x86_64\.whl$/,
      );
      expect(await metadataOf(result.wheels[0]!, 'cu130torch2.9.1andhigher')).toMatch(/^Requires-Dist: torch>=2\.9$/m);
      expect(ctx.text()).toContain('ABI: abi3 from Python 3.10, torch stable ABI from 2.9 (TORCH_STABLE_ONLY)');
      // abi: abi3 narrows the promise to the built torch minor.
      const narrow = await buildWheel({ ...options, abi: 'abi3' }, recordingContext().log);
      expect(path.basename(narrow.wheels[0]!)).toMatch(
        /^cudapkg-0\.1\.0\+cu130torch2\.9\.1-cp310-abi3-manylinux_2_\d+_x86_64\.whl$/,
      );
      expect(await metadataOf(narrow.wheels[0]!, 'cu130torch2.9.1')).toMatch(/^Requires-Dist: torch>=2\.9,<2\.10$/m);
    } finally {
      await index.close();
    }
  });
});
