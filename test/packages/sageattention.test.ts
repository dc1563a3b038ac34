import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArchList } from '../../src/arch/arch';
import { recordingContext } from '../helpers/context';
import { defaultArchs, PROFILES, profileForSource } from '../../src/packages/profiles';
import { extensionSources, sm90SharesArchs } from '../../src/packages/sageattention';

// Two shapes of setup.py: one flag list for every module (thu-ml main), or flags made per module (woct0rdho).
const shared = `
nvcc_flags = ["-O3"]
for cap in caps:
    nvcc_flags += ["-gencode", f"arch=compute_{cap},code=sm_{cap}"]
ext_modules.append(CUDAExtension(name="sageattention._qattn_sm80", sources=["csrc/a80.cu"], extra_compile_args={"cxx": cxx_flags, "nvcc": nvcc_flags}))
ext_modules.append(
    CUDAExtension(
        name="sageattention._qattn_sm89",
        sources=[
            "csrc/pybind_sm89.cpp",
            "csrc/a89.cu",
        ],
        extra_compile_args={"cxx": cxx_flags, "nvcc": nvcc_flags},
    )
)
ext_modules.append(
    CUDAExtension(
        name="sageattention._qattn_sm90",
        sources=["csrc/a90.cu"],
        extra_compile_args={"cxx": cxx_flags, "nvcc": nvcc_flags},
    )
)
ext_modules.append(CUDAExtension(name="sageattention._fused", sources=["csrc/fused.cu"], extra_compile_args={"nvcc": nvcc_flags}))
setup(name="sageattention", version="2.2.0")`;
// _qattn_sm90 with flags of its own: the third "nvcc": nvcc_flags of the text.
const perModule = shared.replace(/(_qattn_sm90[\s\S]*?)"nvcc": nvcc_flags/, '$1"nvcc": flags_for(["9.0"])');

const prepare = (setupPy: string, archs: string) =>
  PROFILES.sageattention.prepareBuild!({
    source: { dir: '/src', setupPy, project: 'sageattention' },
    archs: parseArchList(archs),
    auto: false,
    work: '/w',
    log: recordingContext().log,
  });

describe('SageAttention 2.x setup.py shapes', () => {
  it('reads the shape and the sources of each module from the text', () => {
    expect(sm90SharesArchs(shared)).toBe(true);
    expect(sm90SharesArchs(perModule)).toBe(false);
    expect(sm90SharesArchs('setup(name="other")')).toBe(false);
    expect(extensionSources(shared)).toEqual([
      { module: 'sageattention._qattn_sm80', sources: ['csrc/a80.cu'] },
      { module: 'sageattention._qattn_sm89', sources: ['csrc/pybind_sm89.cpp', 'csrc/a89.cu'] },
      { module: 'sageattention._qattn_sm90', sources: ['csrc/a90.cu'] },
      { module: 'sageattention._fused', sources: ['csrc/fused.cu'] },
    ]);
  });

  it('routes each module of a shared-flags setup.py to the archs it serves (sm_90a only to _qattn_sm90)', async () => {
    const { routeArchs } = await prepare(shared, '8.0;8.6;8.9;9.0;10.0;12.0;12.1');
    expect(routeArchs!.map((r) => [r.module.split('.')[1], r.archs])).toEqual([
      ['_qattn_sm80', ['8.0']],
      ['_qattn_sm89', ['8.9', '12.0', '12.1']],
      ['_qattn_sm90', ['9.0']],
      ['_fused', ['8.0', '8.6', '8.9', '9.0', '10.0', '12.0', '12.1']],
    ]);
    // A module that serves none of the wheel's archs still compiles: the lowest arch above its own.
    const { routeArchs: two } = await prepare(shared, '9.0 12.0');
    expect(two!.map((r) => r.archs)).toEqual([['9.0'], ['12.0'], ['9.0'], ['9.0', '12.0']]);
  });

  it('leaves one-arch builds and per-module setups alone, and refuses what it cannot route', async () => {
    expect((await prepare(shared, '9.0')).routeArchs).toBeUndefined();
    expect((await prepare(perModule, '8.0;9.0;12.0')).routeArchs).toBeUndefined();
    const unroutable = shared.replaceAll(/sources=\[[^\]]*\]/g, 'sources=SOURCES');
    await expect(prepare(unroutable, '9.0;12.0')).rejects.toThrow(
      /^arch-list: 9\.0;12\.0 cannot be built together from this source: .* so ptxas would fail on 12\.0\. Build 9\.0 in a job of its own/,
    );
    expect((await prepare(unroutable, '8.9;12.0')).routeArchs).toBeUndefined();
  });

  it('tells the modules sageattn loads on each GPU', () => {
    const on = (gpu: string) => PROFILES.sageattention.modulesFor!(gpu);
    expect(on('9.0')).toEqual(['sageattention._fused', 'sageattention._qattn_sm90']);
    expect(on('12.0')).toEqual(['sageattention._fused', 'sageattention._qattn_sm89']);
    expect(on('8.6')).toEqual(['sageattention._fused']);
  });
});

describe('arch-list auto on a SageAttention source', () => {
  it("leaves out the GPUs the source's sageattn has no path for (thu-ml main: sm100), and keeps them for woct0rdho", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sage-dispatch-'));
    try {
      await mkdir(path.join(dir, 'sageattention'));
      const core = (archs: string[]) =>
        writeFile(
          path.join(dir, 'sageattention', 'core.py'),
          archs.map((a, i) => `    ${i ? 'elif' : 'if'} arch == "${a}":\n        return path_${a}(q)\n`).join(''),
        );
      await core(['sm80', 'sm86', 'sm89', 'sm90', 'sm120', 'sm121']);
      const thuMl = await profileForSource(PROFILES.sageattention, dir);
      expect(thuMl.note).toBe(
        "sageattention: this source's dispatcher has no path for 10.0: arch-list auto leaves it out",
      );
      expect(defaultArchs(thuMl.profile, '13.0').map((a) => `${a.major}.${a.minor}`)).toEqual([
        '8.0',
        '8.6',
        '8.9',
        '9.0',
        '12.0',
        '12.1',
      ]);
      await core(['sm75', 'sm80', 'sm86', 'sm87', 'sm89', 'sm90', 'sm100', 'sm120', 'sm121']);
      expect(await profileForSource(PROFILES.sageattention, dir)).toEqual({ profile: PROFILES.sageattention });
      await rm(path.join(dir, 'sageattention', 'core.py'));
      expect(await profileForSource(PROFILES.sageattention, dir)).toEqual({ profile: PROFILES.sageattention });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
