import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/core/errors';
import { summaryMarkdown } from '../../src/core/summary';
import {
  brokenExtension,
  buildFixtureWheel,
  FIXTURES,
  removeScratch,
  repackWheel,
  runVerifyStep,
  scratch,
  stubTorchIndex,
} from './fixtures';

// The cudapkg fixture splits TORCH_CUDA_ARCH_LIST on ";" only, as real setup.py files do.
let spaced: string; // "9.0 12.0": one item, so sm_90a only
let separated: string; // "9.0;12.0": sm_90a and sm_120a
let broken: string; // separated, with an extension module that does not load
let crashing: string; // separated, with an extension module that kills Python as it loads
let dir: string;

beforeAll(async () => {
  spaced = await buildFixtureWheel(path.join(FIXTURES, 'cudapkg'), '9.0 12.0');
  separated = await buildFixtureWheel(path.join(FIXTURES, 'cudapkg'), '9.0;12.0');
  dir = await scratch('verify-step');
  const withModule = async (how: 'undefined-symbol' | 'segfault') => {
    const so = await brokenExtension(dir, 'PyInit__kernels', how);
    return repackWheel(separated, path.join(dir, how, path.basename(separated)), (items) =>
      items.map((i) => (i.name.endsWith('.so') ? { ...i, data: so } : i)),
    );
  };
  broken = await withModule('undefined-symbol');
  crashing = await withModule('segfault');
}, 300_000);
afterAll(removeScratch);

const verify = (raw: Record<string, string>) => runVerifyStep({ package: 'generic', torch: 'none', ...raw });

describe('verify step on cudapkg (generic)', () => {
  it('passes the wheel built from "9.0;12.0": both archs in SASS, and it imports', async () => {
    const { outputs, report, ctx, error } = await verify({ wheels: separated, 'arch-list': '9.0;12.0' });
    expect(error).toBeUndefined();
    expect(outputs.archs).toBe('9.0;12.0');
    expect(report).toMatchObject({
      schema: 1,
      package: 'generic',
      requested: ['9.0', '12.0'],
      archs: ['9.0', '12.0'],
      passed: true,
    });
    const [wheel] = report.wheels;
    expect(wheel!.modules).toEqual([
      {
        module: 'cudapkg._kernels',
        path: 'cudapkg/_kernels.cpython-312-x86_64-linux-gnu.so',
        format: 'elf',
        code: ['sm_90a', 'sm_120a'],
        archs: { '9.0': { served: 'sass', required: true }, '12.0': { served: 'sass', required: true } },
      },
    ]);
    expect(wheel!.gpus).toEqual({ '9.0': 'sass', '12.0': 'sass' });
    expect(wheel!.import).toMatchObject({
      status: 'passed',
      python: expect.stringMatching(/^3\.12\./),
      modules: [{ module: 'cudapkg' }, { module: 'cudapkg._kernels' }],
    });
    expect(wheel!.runtime).toEqual({ status: 'skipped', reason: 'no torch in the test venv' });
    expect(ctx.text()).toContain('cudapkg._kernels (elf): sm_90a, sm_120a');
    const summary = summaryMarkdown(ctx.summary);
    expect(summary).toContain('| module | 9.0 | 12.0 | GPU code |');
    expect(summary).toContain('| cudapkg._kernels | SASS | SASS | sm_90a, sm_120a |');
  });

  it('fails the wheel built from "9.0 12.0" among several, with one error naming the module and the missing arch', async () => {
    const { error, report, outputs, ctx } = await verify({
      wheels: `${path.dirname(spaced)}/*.whl\n${separated}`,
      'arch-list': '9.0 12.0',
    });
    expect(Object.fromEntries(report.wheels.map((w) => [w.file, w.passed]))).toEqual({
      [spaced]: false,
      [separated]: true,
    });
    expect(error?.message).toBe(
      `${path.basename(spaced)}: cudapkg._kernels has no GPU code for 12.0 (it carries sm_90a)`,
    );
    // What every wheel runs on.
    expect(outputs.archs).toBe('9.0');
    expect(report.wheels.find((w) => w.file === spaced)!.modules[0]!.archs['12.0']).toEqual({
      served: 'missing',
      required: true,
    });
    expect(summaryMarkdown(ctx.summary)).toContain('| cudapkg._kernels | SASS | ❌ missing | sm_90a |');
  });

  it("reports an extension module that does not import, with Python's error", async () => {
    const { error, report } = await verify({ wheels: broken, 'arch-list': '8.0' });
    const wheel = report.wheels[0]!;
    expect(wheel.import.status).toBe('failed');
    expect(wheel.import.modules[1]!.error).toMatch(/^ImportError: .*undefined symbol: cudapkg_missing_symbol/);
    // The broken module has no GPU code at all, so nothing serves 8.0 either.
    expect(wheel.problems).toEqual([
      'no extension module carries GPU code, so nothing runs on 8.0',
      expect.stringMatching(/^import cudapkg failed: ImportError: .*undefined symbol: cudapkg_missing_symbol/),
      expect.stringMatching(
        /^import cudapkg\._kernels failed: ImportError: .*undefined symbol: cudapkg_missing_symbol/,
      ),
    ]);
    expect(error?.message).toMatch(/^3 problems:\n/);
  });

  it('reports a module that kills Python as it loads, and still writes the report', async () => {
    const { error, report } = await verify({ wheels: crashing, 'arch-list': '8.0' });
    expect(report.wheels[0]!.import.status).toBe('failed');
    expect(report.wheels[0]!.problems.at(-1)).toMatch(/^the import test failed: the probe printed no result:/);
    expect(error?.message).toContain('the import test failed');
  });

  it('installs torch in the test venv from the index given (torch: install)', async () => {
    const index = await stubTorchIndex(dir, '2.11.0');
    const { error, report } = await verify({
      wheels: separated,
      'arch-list': '9.0',
      torch: 'install',
      'torch-version': '2.11.0',
      'torch-index-url': index,
    });
    expect(error).toBeUndefined();
    expect(report.wheels[0]!.import).toMatchObject({ status: 'passed', torch: '2.11.0+stub' });
    expect(report.wheels[0]!.runtime).toEqual({ status: 'skipped', reason: 'torch sees no GPU' });
  });

  it('refuses bad input with one line naming the input, before any venv is made', async () => {
    const refused = (raw: Record<string, string>) =>
      verify({ wheels: separated, 'arch-list': '9.0', ...raw }).then(
        () => 'passed',
        (e: Error) => (e instanceof ConfigurationError ? e.message : `not a ConfigurationError: ${e.message}`),
      );
    expect(await refused({ wheels: path.join(dir, 'nothing', '*.whl') })).toMatch(
      /^wheels: ".*nothing\/\*\.whl" matches no wheel file\./,
    );
    expect(await refused({ 'arch-list': '9.0 13.7' })).toMatch(
      /^arch-list: "9\.0 13\.7" was split into "9\.0", "13\.7" .*: "13\.7" is not a GPU architecture CUDA knows/,
    );
    expect(await refused({ python: '3.11' })).toMatch(
      /^python: Python 3\.11\.\d+ cannot install cudapkg-.*, which is for cp312\./,
    );
    expect(await refused({ torch: 'install' })).toMatch(
      /^torch-version: not given, and cudapkg-0\.1\.0-cp312-cp312-linux_x86_64\.whl names no torch in its version\./,
    );
    expect(await refused({ 'runtime-test': 'always' })).toBe(
      'runtime-test: "always" needs torch in the test venv, and torch is "none". Use torch: install or preinstalled, or runtime-test: auto',
    );
  });
});
