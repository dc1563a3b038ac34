import { existsSync, lstatSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseArchList } from '../../src/arch/arch';
import { presentCapability } from '../../src/builder/present';
import { runProcess } from '../../src/core/exec';
import { readSourceFacts } from '../../src/packages/facts';
import type { BuildHookContext } from '../../src/packages/profile';
import {
  PACKAGE_CHOICES,
  packageInputDescription,
  packageOfProject,
  packageProfile,
  PROFILES,
  recognisePackage,
} from '../../src/packages/profiles';
import { findPython } from '../../src/python/interpreter';
import { createVenv } from '../../src/python/venv';
import { step as build } from '../../src/steps/build';
import { step as verify } from '../../src/steps/verify';
import { recordingContext } from '../helpers/context';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures');
let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'profiles-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** A package folder with these files. */
async function source(name: string, files: Record<string, string>): Promise<string> {
  const dir = path.join(root, name);
  await mkdir(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) await writeFile(path.join(dir, file), text);
  return dir;
}

// The shapes the family's setup.py / pyproject.toml files declare their project in.
const SHAPES: [string, Record<string, string>, string][] = [
  ['thu-ml main', { 'setup.py': "setup(\n    name='sageattention',\n    version='2.2.0',\n)\n" }, 'sageattention'],
  [
    'woct0rdho (pyproject)',
    {
      'pyproject.toml':
        '[build-system]\nrequires = ["torch"]\n\n[project]\nname = "sageattention"\nversion = "2.2.0"\n',
    },
    'sageattention',
  ],
  [
    'SageAttention 1.x',
    { 'setup.py': "setup(\n    name='sageattention', \n    version='1.0.6',  \n)\n" },
    'sageattention1',
  ],
  [
    'sageattn3',
    { 'setup.py': 'PACKAGE_NAME = "sageattn3"\nsetup(\n    name=PACKAGE_NAME,\n    version="1.0.0",\n)\n' },
    'sageattn3',
  ],
  [
    'flash-attn',
    {
      'setup.py':
        'PACKAGE_NAME = "flash_attn"\nsetup(\n    name=PACKAGE_NAME,\n    version=get_package_version(),\n)\n',
    },
    'flash-attn',
  ],
  ['another extension', { 'setup.py': 'setup(name="my_ext", ext_modules=[...])\n' }, 'generic'],
  ['no project name', { 'setup.py': 'setup(**kwargs)\n' }, 'generic'],
];

describe('package: auto', () => {
  it.each(SHAPES)('recognises %s from its source', async (label, files, expected) => {
    const facts = await readSourceFacts(await source(label.replace(/\W+/g, '-'), files));
    expect(recognisePackage(facts).name).toBe(expected);
  });

  it('recognises a wheel by the project its METADATA names', () => {
    expect(packageOfProject('sageattention', '2.2.0+cu130torch2.11.0').name).toBe('sageattention');
    expect(packageOfProject('sageattention', '1.0.6').name).toBe('sageattention1');
    expect(packageOfProject('flash_attn', '2.8.3').name).toBe('flash-attn');
    expect(packageOfProject('sageattn3', '1.0.0').name).toBe('sageattn3');
    expect(packageOfProject('cudapkg', '0.1').name).toBe('generic');
  });

  it("generates the package input's choices and description from the list, auto first", () => {
    expect(PACKAGE_CHOICES).toEqual(['auto', 'sageattention', 'sageattn3', 'sageattention1', 'flash-attn', 'generic']);
    const text = packageInputDescription('auto: recognised');
    for (const profile of Object.values(PROFILES)) expect(text).toContain(`${profile.name}: ${profile.summary}`);
    for (const spec of [build.spec, verify.spec]) {
      expect(spec.inputs.package).toMatchObject({ default: 'auto', choices: PACKAGE_CHOICES });
    }
    expect(() => packageProfile('sage')).toThrow(
      'package: "sage" is not known. Allowed: auto, sageattention, sageattn3, sageattention1, flash-attn, generic',
    );
  });
});

const hook = (name: keyof typeof PROFILES, context: Partial<Omit<BuildHookContext, 'archs'>> & { archs: string }) =>
  PROFILES[name].prepareBuild!({
    source: { dir: root },
    auto: false,
    work: root,
    log: recordingContext().log,
    ...context,
    archs: parseArchList(context.archs),
  });

describe('flash-attn', () => {
  it('builds with its own arch variable and always compiles', async () => {
    expect(await hook('flash-attn', { archs: '8.0;9.0;12.0' })).toMatchObject({
      env: { FLASH_ATTN_CUDA_ARCHS: '80;90;120', FLASH_ATTENTION_FORCE_BUILD: 'TRUE' },
    });
  });
});

describe('sageattn3', () => {
  // thu-ml: the arch from the GPU present, CUTLASS cloned into csrc/cutlass; woct0rdho: the list, a submodule.
  const THU_ML =
    'cc_major, cc_minor = torch.cuda.get_device_capability()\ncutlass_dir = repo_dir / "csrc" / "cutlass"\nsubprocess.run(["git", "clone", "--depth", "1", url, str(cutlass_dir)])\n';
  const WOCT0RDHO =
    'if os.getenv("TORCH_CUDA_ARCH_LIST"):\n    pass\nelse:\n    torch.cuda.get_device_capability(i)\ncutlass_dir = repo_dir / "cutlass"\n';
  let cutlass: string;
  beforeAll(async () => {
    cutlass = path.join(root, 'cutlass-checkout');
    await mkdir(path.join(cutlass, 'include', 'cutlass'), { recursive: true });
    await writeFile(path.join(cutlass, 'include', 'cutlass', 'cutlass.h'), '// CUTLASS\n');
  });
  const tree = async (name: string, setupPy: string, submodule = false) => {
    const dir = await source(name, { 'setup.py': setupPy });
    if (submodule) await mkdir(path.join(dir, 'cutlass'));
    return { dir, setupPy };
  };

  it("presents thu-ml's setup.py the requested GPU, one arch per wheel, and links the CUTLASS given", async () => {
    const src = await tree('thu-ml-3', THU_ML);
    const adjusted = await hook('sageattn3', { source: src, archs: '12.0', cutlass });
    expect(adjusted).toMatchObject({ presentCapability: '12.0' });
    expect(adjusted.archs!.map((a) => `${a.major}.${a.minor}`)).toEqual(['12.0']);
    expect(lstatSync(path.join(src.dir, 'csrc', 'cutlass')).isSymbolicLink()).toBe(true);
    expect(existsSync(path.join(src.dir, 'csrc', 'cutlass', 'include', 'cutlass', 'cutlass.h'))).toBe(true);

    const auto = await hook('sageattn3', {
      source: await tree('thu-ml-3-auto', THU_ML),
      archs: '10.0;12.0;12.1',
      auto: true,
      cutlass,
    });
    expect(auto.presentCapability).toBe('12.0');
    expect(auto.notes[0]).toBe(
      'this sageattn3 setup.py builds one arch per wheel: arch-list auto builds 12.0; give 10.0 or 12.1 for the others',
    );
    await expect(
      hook('sageattn3', { source: await tree('thu-ml-3-two', THU_ML), archs: '10.0;12.0', cutlass }),
    ).rejects.toThrow(
      'arch-list: 10.0;12.0 asks several archs, and this sageattn3 setup.py builds for one GPU only (the one it sees). Give one of 10.0, 12.0, 12.1 per build',
    );
  });

  it("leaves woct0rdho's setup.py its arch list, and wants its CUTLASS submodule or a checkout", async () => {
    const withCutlass = await hook('sageattn3', {
      source: await tree('woct-3', WOCT0RDHO, true),
      archs: '10.0;12.0',
      cutlass,
    });
    expect(withCutlass.presentCapability).toBeUndefined();
    expect(withCutlass.archs!).toHaveLength(2);
    await expect(
      hook('sageattn3', { source: await tree('woct-3-empty', WOCT0RDHO, true), archs: '12.0' }),
    ).rejects.toThrow(
      'source: cutlass (CUTLASS, a git submodule) is empty. Check out the submodules (git submodule update --init), or give cutlass: a CUTLASS checkout',
    );
    await expect(
      hook('sageattn3', { source: await tree('woct-3-bad', WOCT0RDHO), archs: '12.0', cutlass: root }),
    ).rejects.toThrow(/^cutlass: ".*" has no include\/cutlass\/cutlass\.h\. Give a CUTLASS checkout$/);
  });

  it('makes torch.cuda.get_device_capability() report the presented GPU in the build venv, and only while asked', async () => {
    const venv = await createVenv(await findPython('3.12'), path.join(root, 'venv'));
    const site = venv.sitePackages[0]!;
    await cp(path.join(FIXTURES, 'verify', 'stubtorch', 'torch'), path.join(site, 'torch'), { recursive: true });
    const env = await presentCapability(site, '12.0');
    const ask = (extra: Record<string, string>) =>
      runProcess(venv.executable, ['-c', 'import torch; print(torch.cuda.get_device_capability())'], {
        env: { ...process.env, ...extra },
      });
    expect((await ask(env)).stdout.trim()).toBe('(12, 0)');
    // The stand-in torch has no GPU: without the variable it says so, as the real one does.
    const plain = await ask({});
    expect(plain.code).not.toBe(0);
    expect(plain.stderr).toContain('Found no NVIDIA driver on your system.');
  }, 120_000);
});
