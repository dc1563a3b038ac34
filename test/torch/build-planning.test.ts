import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Inputs } from '../../src/core/step';
import { checkTorchBuild, matrixPlatformOf } from '../../src/builder/torch-release';
import { step } from '../../src/steps/build';
import { FACT_RELEASES, FakePytorchIndex } from '../fakes/pytorch-index';
import { recordingContext } from '../helpers/context';

let pytorch: FakePytorchIndex;
beforeAll(async () => {
  pytorch = await new FakePytorchIndex().start();
});
afterAll(() => pytorch.stop());

/** The build step up to where it would fetch the source: a folder that does not exist. */
async function build(raw: Record<string, string>) {
  const ctx = recordingContext();
  const inputs = new Inputs(step.spec, {
    source: '/nonexistent/sagewheels-source',
    container: 'none',
    torch: 'install',
    'torch-mirror-url': pytorch.url,
    'cuda-version': '13.0',
    ...raw,
  });
  const error = await step.run(inputs, ctx).catch((e: unknown) => e as Error);
  return { error: error as Error, ctx };
}

describe('build: torch-version against what PyTorch published', () => {
  it('takes torch 2.14.0 past planning: the next thing it does is fetch the source', async () => {
    const { error, ctx } = await build({ 'torch-version': '2.14.0', python: '3.12' });
    expect(error.message).toBe(
      'source: "/nonexistent/sagewheels-source" is neither a git URL nor a folder. Give https://... or a path to the package',
    );
    expect(pytorch.requests.map((r) => r.path)).toEqual(['/whl/torch/']);
    expect(ctx.text()).toMatch(/CUDA 13\.0\.\d+.*Python 3\.12\.\d+/);
    expect(ctx.text()).toContain(`info: PyTorch releases: ${pytorch.url}/torch/ (PEP 503 HTML,`);
  });

  it('refuses a patch that was never published, naming the nearest, before anything else', async () => {
    const { error, ctx } = await build({ 'torch-version': '2.7.9' });
    expect(error.message).toBe(
      'torch-version: torch 2.7.9 was never published. Nearest published: 2.7.0, 2.7.1, 2.8.0',
    );
    expect(ctx.text()).not.toMatch(/CUDA 13/);
  });

  it('refuses a Python the torch has no wheel for, saying which it has', async () => {
    const { error } = await build({ 'torch-version': '2.14.0', python: '3.9' });
    expect(error.message).toMatch(
      /^python: torch 2\.14\.0 has no wheels for Python 3\.9\.\d+\. It has wheels of CUDA 13\.0 for Python 3\.10, 3\.11, 3\.12, 3\.13, 3\.14, 3\.14t, 3\.15, 3\.15t on linux-x86_64$/,
    );
  });
});

describe('build on an Arm machine', () => {
  it('is linux-aarch64, and takes only the CUDA builds PyTorch made for Arm', () => {
    expect(matrixPlatformOf('linux', 'arm64')).toBe('linux-aarch64');
    expect(matrixPlatformOf('linux', 'x64')).toBe('linux-x86_64');
    expect(matrixPlatformOf('win32', 'x64')).toBe('windows-x86_64');
    expect(() => checkTorchBuild(FACT_RELEASES, { version: '2.7.1', cuda: '12.6', platform: 'linux-aarch64' })).toThrow(
      'torch-version: torch 2.7.1 has no CUDA 12.6 build for linux-aarch64. It is built for CUDA 12.8 there',
    );
    expect(() =>
      checkTorchBuild(FACT_RELEASES, { version: '2.14.0', cuda: '13.2', python: '3.15.0', platform: 'linux-aarch64' }),
    ).not.toThrow();
  });
});
