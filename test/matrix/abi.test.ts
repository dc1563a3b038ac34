import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Inputs } from '../../src/core/step';
import { summaryText } from '../../src/core/summary';
import { collapsePlan } from '../../src/matrix/abi';
import { planMatrix } from '../../src/matrix/plan';
import { skipPublished } from '../../src/matrix/published';
import { step } from '../../src/steps/matrix';
import { FakeGitHub } from '../fakes/github';
import { FakePytorchIndex } from '../fakes/pytorch-index';
import { recordingContext } from '../helpers/context';

const TOKEN = 'ghs_abimatrixsecret0123456789';
let fake: FakeGitHub;
let pytorch: FakePytorchIndex;
beforeAll(async () => {
  fake = await new FakeGitHub(TOKEN).start();
  pytorch = await new FakePytorchIndex().start();
});
afterAll(() => Promise.all([fake.stop(), pytorch.stop()]));
beforeEach(() => {
  vi.stubEnv('GITHUB_REPOSITORY', 'acme/wheels');
  fake.releases.length = 0;
  pytorch.requests.length = 0;
});
afterEach(() => vi.unstubAllEnvs());

const SETUP_ABI3 = `
ext = CUDAExtension(name="pkg._k", sources=["csrc/k.cu"], extra_compile_args={"cxx": ["-DPy_LIMITED_API=0x030A0000"]}, py_limited_api=True)
setup(name="pkg", ext_modules=[ext], options={"bdist_wheel": {"py_limited_api": "cp310"}})
`;
const SETUP_STABLE = SETUP_ABI3.replace(
  '"-DPy_LIMITED_API=0x030A0000"]',
  '"-DPy_LIMITED_API=0x030A0000", "-DTORCH_STABLE_ONLY"]',
);

const trees: string[] = [];
afterAll(() => Promise.all(trees.map((dir) => rm(dir, { recursive: true, force: true }))));

async function sourceTree(setup: string, kernel = '__global__ void k() {}'): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'abi-source-'));
  trees.push(dir);
  await mkdir(path.join(dir, 'csrc'));
  await writeFile(path.join(dir, 'setup.py'), setup);
  await writeFile(path.join(dir, 'csrc', 'k.cu'), kernel);
  return dir;
}

/** The release woct0rdho's abi3_stable branch makes: torch 2.10-2.15, Python 3.10-3.14, CUDA 12.8 and 13.0, two platforms. */
const RELEASE = {
  'torch-versions': '2.10-2.15',
  'python-versions': '3.10-3.14',
  'cuda-versions': '12.8, 13.0',
  platforms: 'linux-x86_64, windows-x86_64',
};

async function runStep(raw: Record<string, string>) {
  const ctx = recordingContext();
  const outputs = await step.run(
    new Inputs(step.spec, { 'github-api-url': fake.url, token: TOKEN, 'torch-mirror-url': 'snapshot', ...raw }),
    ctx,
  );
  const matrix = JSON.parse(outputs.matrix) as { include: Record<string, string>[] };
  return { ctx, outputs, jobs: matrix.include };
}

describe('matrix by ABI', () => {
  it('abi auto with a stable-ABI abi3 source: one job per CUDA major and platform, each listing what its wheel serves', async () => {
    const source = await sourceTree(SETUP_STABLE, '#include <torch/csrc/stable/tensor_struct.h>\nTORCH_BOX(&k);');
    const { ctx, outputs, jobs } = await runStep({ ...RELEASE, source });
    expect(outputs.count).toBe('4');
    const linux13 = jobs.find((job) => job.cuda === '13.0' && job.platform === 'linux-x86_64');
    expect(linux13).toMatchObject({
      python: '3.10',
      torch: '2.10.0',
      'version-suffix': '+cu130torch2.10.0andhigher',
      'test-pythons': '3.10,3.11,3.12,3.13,3.14',
    });
    expect(linux13!['test-torches']!.split(',')).toEqual(
      expect.arrayContaining(['2.10.0', '2.11.0', '2.12.0', '2.13.0', '2.14.0', '2.15.0']),
    );
    const none = await runStep({ ...RELEASE, source, abi: 'none' });
    const note = `${none.jobs.length} -> 4 jobs: one abi3 wheel serves every Python from 3.10; one stable-ABI wheel serves every torch from 2.10 of a CUDA major`;
    expect(none.jobs.length).toBeGreaterThanOrEqual(40);
    expect(ctx.text()).toContain(`notice: ${note}`);
    expect(ctx.text()).toContain('torch stable ABI from 2.10 (TORCH_BOX in csrc/k.cu)');
    expect(summaryText(ctx.summary)).toContain(note);
    expect(summaryText(ctx.summary)).toContain('test-torches');
    // abi: none plans as before the ABI was known: no extra keys.
    expect(none.jobs[0]).not.toHaveProperty('test-pythons');
  });

  it('abi3 only: one job per torch, CUDA and platform, built with the oldest Python; a free-threaded Python keeps its own job', async () => {
    const source = await sourceTree(SETUP_ABI3);
    const { jobs, ctx } = await runStep({
      'torch-versions': '2.10',
      'cuda-versions': '13.0',
      'python-versions': '3.9-3.14, 3.14t',
      source,
    });
    expect(jobs.map((job) => [job.python, job['test-pythons'], job['version-suffix']])).toEqual([
      ['3.10', '3.10,3.11,3.12,3.13,3.14', '+cu130torch2.10.0'],
      ['3.14t', '3.14t', '+cu130torch2.10.0'],
    ]);
    expect(ctx.text()).not.toContain('3.9:');

    // A suffix an include set by hand is the user's: the collapse keeps it.
    const named = await runStep({
      'torch-versions': '2.10',
      'cuda-versions': '13.0',
      'python-versions': '3.10-3.12',
      include: '[{"python": "3.10", "version-suffix": "+nightlyabi"}]',
      source,
    });
    expect(named.jobs.map((job) => [job.python, job['test-pythons'], job['version-suffix']])).toEqual([
      ['3.10', '3.10,3.11,3.12', '+nightlyabi'],
    ]);
  });

  it('reads a git URL shallowly at a ref', async () => {
    const repo = await sourceTree(SETUP_ABI3);
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: repo, stdio: 'pipe' });
    git('init', '-q', '-b', 'main');
    git('add', '.');
    git('commit', '-qm', 'plain');
    git('checkout', '-qb', 'abi3');
    await writeFile(path.join(repo, 'setup.py'), SETUP_STABLE + '\n# TORCH_BOX\n');
    git('commit', '-qam', 'stable');
    const { jobs, ctx } = await runStep({
      'torch-versions': '2.10-2.11',
      'cuda-versions': '13.0',
      'python-versions': '3.12-3.13',
      source: `file://${repo}`,
      ref: 'abi3',
    });
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ torch: '2.10.0', 'test-torches': '2.10.0,2.11.0', 'test-pythons': '3.12,3.13' });
    expect(ctx.text()).toMatch(/ABI of file:\/\/.*@[0-9a-f]{40}: abi3 from Python 3\.10, torch stable ABI from 2\.10/);
  });

  it('refuses an ABI the source cannot honour before PyTorch is asked anything', async () => {
    const source = await sourceTree(SETUP_ABI3);
    const run = runStep({ ...RELEASE, source, abi: 'stable', 'torch-mirror-url': pytorch.url });
    await expect(run).rejects.toThrow(/^abi: stable\. .*TORCH_STABLE_ONLY/);
    expect(pytorch.requests).toHaveLength(0);
    await expect(runStep({ ...RELEASE, source, ref: 'abi3' })).rejects.toThrow(
      /^ref: "abi3" was given with a local source/,
    );
    await expect(runStep({ ...RELEASE, source: '/nowhere/at/all' })).rejects.toThrow(/^source: "\/nowhere\/at\/all"/);
  });

  it('abi auto without a source plans as before; abi3 by hand collapses from the oldest Python planned', async () => {
    const plain = await runStep({ ...RELEASE, 'torch-versions': '2.10' });
    expect(plain.jobs.every((job) => !('test-pythons' in job))).toBe(true);
    expect(plain.ctx.text()).toContain('abi: auto, and no setup.py or pyproject.toml in');
    const byHand = await runStep({ ...RELEASE, 'torch-versions': '2.10', abi: 'abi3' });
    expect(byHand.jobs).toHaveLength(4);
    expect(byHand.jobs.every((job) => job.python === '3.10')).toBe(true);
  });
});

describe('skip-published by ABI', () => {
  const options = {
    package: 'sageattention',
    torchVersions: '2.10-2.11',
    cudaVersions: '13.0',
    pythonVersions: '3.10-3.12',
    platforms: 'linux-x86_64',
    archList: 'auto',
    include: '',
    exclude: '',
  };
  const plan = planMatrix(options);
  const name = (label: string, tags: string) => `sageattention-2.2.0+${label}-${tags}-linux_x86_64.whl`;

  it('an abi3 wheel on the release covers every Python job of its torch and CUDA', () => {
    const left = skipPublished(plan, [name('cu130torch2.10.0', 'cp310-abi3')]);
    expect(left.published.map((e) => `${e.torch} ${e.python}`)).toEqual(['2.10.0 3.10', '2.10.0 3.11', '2.10.0 3.12']);
    expect(left.entries.every((e) => e.torch === '2.11.0')).toBe(true);
    // An abi3 wheel from 3.11 on does not serve 3.10.
    expect(skipPublished(plan, [name('cu130torch2.10.0', 'cp311-abi3')]).published).toHaveLength(2);
  });

  it('a stable wheel covers every torch from its floor of its CUDA major, collapsed or not', () => {
    const stable = name('cu130torch2.10.0andhigher', 'cp310-abi3');
    expect(skipPublished(plan, [stable]).entries).toEqual([]);
    expect(skipPublished(plan, [name('cu128torch2.10.0andhigher', 'cp310-abi3')]).published).toEqual([]);
    expect(skipPublished(plan, [name('cu130torch2.11.0andhigher', 'cp310-abi3')]).published).toHaveLength(3);
    const collapsed = collapsePlan(plan, {
      limited: { python: '3.10' },
      stable: { torch: '2.10', evidence: 'x' },
    });
    expect(collapsed.entries).toHaveLength(1);
    expect(collapsed.collapse).toMatch(/^6 -> 1 jobs: /);
    expect(skipPublished(collapsed, [stable]).entries).toEqual([]);
    // A wheel per Python of an older release does not cover the abi3 job.
    expect(skipPublished(collapsed, [name('cu130torch2.10.0andhigher', 'cp312-cp312')]).entries).toHaveLength(1);
  });
});
