import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/core/errors';
import { checkJobLimit, type MatrixEntry, type MatrixOptions, planMatrix } from '../../src/matrix/plan';
import { FACT_RELEASES } from '../fakes/pytorch-index';

const DEFAULTS: MatrixOptions = {
  package: 'sageattention',
  torchVersions: '2.7.1',
  cudaVersions: 'auto',
  pythonVersions: 'auto',
  platforms: 'linux-x86_64',
  archList: 'auto',
  include: '',
  exclude: '',
};
const plan = (options: Partial<MatrixOptions>) => planMatrix({ ...DEFAULTS, ...options }, FACT_RELEASES);

/** "2.7.1 12.8 3.12 linux-x86_64" per entry: what a test usually means by "which jobs". */
const jobs = (entries: readonly MatrixEntry[]) => entries.map((e) => `${e.torch} ${e.cuda} ${e.python} ${e.platform}`);
const distinct = (entries: readonly MatrixEntry[], key: string) => [...new Set(entries.map((e) => e[key]))];

/** The one-line ConfigurationError a bad input gives. */
function userError(options: Partial<MatrixOptions>): string {
  try {
    plan(options);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).not.toContain('\n');
    return (error as Error).message;
  }
  throw new Error(`no error for ${JSON.stringify(options)}`);
}

describe('the releases PyTorch published', () => {
  // DESIGN's table of PyTorch releases: auto must reproduce it exactly (generic: no package limits).
  const table: [string, string[], string[]][] = [
    ['2.5', ['11.8', '12.1', '12.4'], ['3.9', '3.10', '3.11', '3.12']],
    ['2.6', ['11.8', '12.4', '12.6'], ['3.9', '3.10', '3.11', '3.12', '3.13']],
    ['2.7', ['11.8', '12.6', '12.8'], ['3.9', '3.10', '3.11', '3.12', '3.13']],
    ['2.8', ['12.6', '12.8', '12.9'], ['3.9', '3.10', '3.11', '3.12', '3.13']],
    ['2.9', ['12.6', '12.8', '13.0'], ['3.10', '3.11', '3.12', '3.13', '3.14']],
    ['2.10', ['12.6', '12.8', '13.0'], ['3.10', '3.11', '3.12', '3.13', '3.14']],
    ['2.11', ['12.6', '12.8', '13.0'], ['3.10', '3.11', '3.12', '3.13', '3.14']],
    ['2.12', ['12.6', '13.0', '13.2'], ['3.10', '3.11', '3.12', '3.13', '3.14']],
    ['2.13', ['12.6', '13.0', '13.2'], ['3.10', '3.11', '3.12', '3.13', '3.14', '3.15']],
    ['2.14', ['12.6', '13.0', '13.2'], ['3.10', '3.11', '3.12', '3.13', '3.14', '3.15']],
  ];
  it.each(table)('torch %s: auto is every CUDA build and every Python', (minor, cudas, pythons) => {
    const { entries, leftOut } = plan({ package: 'generic', torchVersions: minor });
    expect(distinct(entries, 'cuda')).toEqual(cudas);
    expect(distinct(entries, 'python')).toEqual(pythons);
    expect(entries).toHaveLength(cudas.length * pythons.length);
    expect(leftOut).toEqual([]);
  });

  it('takes the full version users give, picks the row by its minor, and names the wheel by it', () => {
    const { entries } = plan({ torchVersions: '2.7.1', cudaVersions: '12.8', pythonVersions: '3.12' });
    expect(entries).toEqual([
      {
        python: '3.12',
        torch: '2.7.1',
        cuda: '12.8',
        platform: 'linux-x86_64',
        'arch-list': '8.0;8.6;8.9;9.0;10.0;12.0',
        'version-suffix': '+cu128torch2.7.1',
      },
    ]);
    // The keys in the order the workflow reads them.
    expect(Object.keys(entries[0]!)).toEqual(['python', 'torch', 'cuda', 'platform', 'arch-list', 'version-suffix']);
    expect(
      plan({ torchVersions: '2.8', cudaVersions: '12.9', pythonVersions: '3.12' }).entries[0]!['version-suffix'],
    ).toBe('+cu129torch2.8.0');
  });

  it('orders jobs by torch as given, then CUDA, Python and platform, and merges repeats', () => {
    const { entries } = plan({
      torchVersions: '2.8.0, 2.7.1 2.8.0',
      cudaVersions: '12.8',
      pythonVersions: '3.13,3.12',
      platforms: 'windows-x86_64 linux-x86_64',
    });
    expect(jobs(entries)).toEqual([
      '2.8.0 12.8 3.12 windows-x86_64',
      '2.8.0 12.8 3.12 linux-x86_64',
      '2.8.0 12.8 3.13 windows-x86_64',
      '2.8.0 12.8 3.13 linux-x86_64',
      '2.7.1 12.8 3.12 windows-x86_64',
      '2.7.1 12.8 3.12 linux-x86_64',
      '2.7.1 12.8 3.13 windows-x86_64',
      '2.7.1 12.8 3.13 linux-x86_64',
    ]);
  });
});

describe('versions: lists and ranges intersected with the table', () => {
  it('reads Python ranges, with or without spaces, keeping only what torch supports', () => {
    expect(distinct(plan({ pythonVersions: '3.10-3.12' }).entries, 'python')).toEqual(['3.10', '3.11', '3.12']);
    expect(distinct(plan({ pythonVersions: '3.7 - 3.10' }).entries, 'python')).toEqual(['3.9', '3.10']);
    expect(distinct(plan({ pythonVersions: '3.13\n3.9-3.9' }).entries, 'python')).toEqual(['3.9', '3.13']);
  });

  it('reads CUDA lists and ranges, keeping a patch version as given and its major.minor for the wheel', () => {
    expect(distinct(plan({ torchVersions: '2.8.0', cudaVersions: '12.0-12.9' }).entries, 'cuda')).toEqual([
      '12.6',
      '12.8',
      '12.9',
    ]);
    const patched = plan({ cudaVersions: '12.6-12.8, 12.8.1', pythonVersions: '3.12' }).entries;
    expect(patched.map((e) => [e.cuda, e['version-suffix']])).toEqual([
      ['12.6', '+cu126torch2.7.1'],
      ['12.8.1', '+cu128torch2.7.1'],
    ]);
  });

  it('with several torches, leaves out the pairs one of them lacks, saying why', () => {
    const cuda = plan({ torchVersions: '2.7.1, 2.8.0', cudaVersions: '12.9', pythonVersions: '3.12' });
    expect(jobs(cuda.entries)).toEqual(['2.8.0 12.9 3.12 linux-x86_64']);
    expect(cuda.leftOut).toEqual(['torch 2.7.1 has no CUDA 12.9 build (PyTorch published 11.8, 12.6, 12.8)']);

    const python = plan({ torchVersions: '2.8.0, 2.9.0', cudaVersions: '12.8', pythonVersions: '3.9, 3.14' });
    expect(jobs(python.entries)).toEqual(['2.8.0 12.8 3.9 linux-x86_64', '2.9.0 12.8 3.14 linux-x86_64']);
    expect(python.leftOut).toEqual([
      'torch 2.8.0 does not support Python 3.14 (3.9-3.13)',
      'torch 2.9.0 does not support Python 3.9 (3.10-3.14)',
    ]);
  });

  it('builds Windows rows from the same tables', () => {
    const { entries } = plan({ torchVersions: '2.9.0', platforms: 'windows-x86_64' });
    expect(distinct(entries, 'cuda')).toEqual(['12.6', '12.8', '13.0']);
    expect(distinct(entries, 'python')).toEqual(['3.10', '3.11', '3.12', '3.13', '3.14']);
    expect(distinct(entries, 'platform')).toEqual(['windows-x86_64']);
  });
});

describe('package constraints', () => {
  it('sageattention: leaves out CUDA < 12.0 with a notice, and gives each CUDA the archs it builds', () => {
    const { entries, leftOut } = plan({ torchVersions: '2.5.1, 2.7.1, 2.8.0', pythonVersions: '3.12' });
    expect(leftOut).toEqual([
      'torch 2.5.1 with CUDA 11.8: sageattention needs CUDA >= 12.0',
      'torch 2.7.1 with CUDA 11.8: sageattention needs CUDA >= 12.0',
    ]);
    const archsByCuda = Object.fromEntries(entries.map((e) => [e.cuda, e['arch-list']]));
    expect(archsByCuda).toEqual({
      // 8.9 needs 12.4 and 9.0 needs 12.3 in SageAttention, though CUDA 11.8 compiles both.
      '12.1': '8.0;8.6',
      '12.4': '8.0;8.6;8.9;9.0',
      '12.6': '8.0;8.6;8.9;9.0',
      '12.8': '8.0;8.6;8.9;9.0;10.0;12.0',
      '12.9': '8.0;8.6;8.9;9.0;10.0;12.0;12.1',
    });
    expect(distinct(plan({ torchVersions: '2.11.0' }).entries, 'arch-list')).toEqual([
      '8.0;8.6;8.9;9.0',
      '8.0;8.6;8.9;9.0;10.0;12.0',
      '8.0;8.6;8.9;9.0;10.0;12.0;12.1',
    ]);
  });

  it("generic: keeps every CUDA build and uses PyTorch's own arch list for it", () => {
    const { entries, leftOut } = plan({
      package: 'generic',
      torchVersions: '2.7.1, 2.8.0, 2.9.0',
      pythonVersions: '3.12',
    });
    expect(leftOut).toEqual([]);
    expect(Object.fromEntries(entries.map((e) => [e.cuda, e['arch-list']]))).toEqual({
      '11.8': '3.7;5.0;6.0;7.0;7.5;8.0;8.6;9.0',
      '12.6': '5.0;6.0;7.0;7.5;8.0;8.6;9.0',
      '12.8': '7.0;7.5;8.0;8.6;9.0;10.0;12.0',
      '12.9': '7.0;7.5;8.0;8.6;9.0;10.0;12.0+PTX',
      '13.0': '7.5;8.0;8.6;9.0;10.0;12.0+PTX',
    });
  });

  it('refuses a CUDA the user listed that the package cannot build', () => {
    expect(userError({ cudaVersions: '11.8, 12.8' })).toBe(
      'cuda-versions: 11.8: sageattention needs CUDA >= 12.0. Allowed: CUDA >= 12.0, or auto',
    );
    expect(plan({ package: 'generic', cudaVersions: '11.8' }).entries).toHaveLength(5);
  });
});

describe('arch-list', () => {
  it('normalizes any spelling to the ";" form and gives it to every job', () => {
    const { entries } = plan({ cudaVersions: '12.8', archList: ' sm_90a, 8.0  12.0+ptx;sm_80' });
    expect(distinct(entries, 'arch-list')).toEqual(['8.0;9.0a;12.0+PTX']);
  });

  it('is checked against every CUDA left in the matrix: an arch one cannot compile is an error, not a drop', () => {
    expect(userError({ archList: '9.0 12.0' })).toBe(
      'arch-list: 9.0;12.0 cannot be built: with CUDA 12.6, 12.0 needs CUDA >= 12.8. Drop those archs or those CUDA versions; arch-list: auto gives 12.6: 8.0;8.6;8.9;9.0, 12.8: 8.0;8.6;8.9;9.0;10.0;12.0',
    );
    // Excluding that CUDA, or giving it a list of its own, makes the same list valid.
    expect(distinct(plan({ archList: '9.0 12.0', exclude: '[{"cuda": "12.6"}]' }).entries, 'cuda')).toEqual(['12.8']);
    const own = plan({ archList: '9.0 12.0', include: '[{"cuda": "12.6", "arch-list": "9.0"}]' }).entries;
    expect(Object.fromEntries(own.map((e) => [e.cuda, e['arch-list']]))).toEqual({ '12.6': '9.0', '12.8': '9.0;12.0' });
    expect(userError({ package: 'generic', torchVersions: '2.9.0', archList: '7.0;8.0' })).toMatch(
      /^arch-list: 7\.0;8\.0 cannot be built: with CUDA 13\.0, 7\.0 was dropped after CUDA 12\.9\. /,
    );
    expect(userError({ torchVersions: '2.5.1', cudaVersions: '12.1', archList: '8.9' })).toMatch(
      /^arch-list: 8\.9 cannot be built: with CUDA 12\.1, sageattention needs CUDA >= 12\.4 for 8\.9\./,
    );
  });

  it('holds to the package: sageattention has no kernels below 8.0; generic takes any arch its CUDA compiles', () => {
    expect(userError({ cudaVersions: '12.8', archList: '7.5;8.0' })).toMatch(
      /^arch-list: 7\.5;8\.0 cannot be built: with CUDA 12\.8, sageattention has no kernels for 7\.5\./,
    );
    expect(
      distinct(plan({ package: 'generic', cudaVersions: '12.8', archList: '7.5;8.0' }).entries, 'arch-list'),
    ).toEqual(['7.5;8.0']);
  });

  it('refuses archs CUDA does not know, naming them', () => {
    expect(userError({ archList: 'sm_999' })).toMatch(
      /^arch-list: "sm_999" is not a GPU architecture CUDA knows\. Known: 3\.5, .*12\.1$/,
    );
    expect(userError({ archList: 'ampere' })).toMatch(/^arch-list: "ampere" is not a GPU architecture/);
  });
});

describe('bad input: one line that names the input and what is allowed', () => {
  it.each<[Partial<MatrixOptions>, string | RegExp]>([
    [
      { torchVersions: '2.4.1' },
      'torch-versions: torch "2.4.1" is not a PyTorch release. Nearest published: 2.5.0 (known: 2.5 to 2.15)',
    ],
    [
      { torchVersions: '2.7.9' },
      'torch-versions: torch 2.7.9 was never published. Nearest published: 2.7.0, 2.7.1, 2.8.0',
    ],
    [
      { torchVersions: '2.99' },
      'torch-versions: torch "2.99" is not a PyTorch release. Nearest published: 2.14.0, 2.15.0 (known: 2.5 to 2.15)',
    ],
    [
      { torchVersions: '2.1' },
      'torch-versions: torch "2.1" is not supported (YAML reads an unquoted 2.10 as 2.1: quote it). Write 2.10 or 2.10.0',
    ],
    [{ torchVersions: 'latest-0' }, /^torch-versions: "latest-0" picks nothing\. Allowed: latest, latest-N/],
    [{ torchVersions: 'newest' }, /^torch-versions: "newest" is not a version, a range or latest-N/],
    [{ torchVersions: '2.15-2.9' }, /^torch-versions: the range "2\.15-2\.9" runs backwards/],
    [
      { torchVersions: '2.0-2.4' },
      /^torch-versions: the range "2\.0-2\.4" reaches 2\.0, outside what PyTorch has published\. Known: 2\.5, /,
    ],
    [{ torchVersions: ' , ' }, /^torch-versions: is empty\. Allowed: latest, latest-N/],
    [
      { cudaVersions: '12.9' },
      'cuda-versions: PyTorch published no CUDA 12.9 build of torch 2.7.1. Allowed: torch 2.7.1: 11.8, 12.6, 12.8',
    ],
    [
      { torchVersions: '2.7.1 2.8.0', cudaVersions: '13.0' },
      'cuda-versions: PyTorch published no CUDA 13.0 build of torch 2.7.1, 2.8.0. Allowed: torch 2.7.1: 11.8, 12.6, 12.8; torch 2.8.0: 12.6, 12.8, 12.9',
    ],
    [{ cudaVersions: '10.0-11.0' }, /^cuda-versions: PyTorch published no CUDA 10\.0-11\.0 build of torch 2\.7\.1\./],
    [
      { cudaVersions: 'cu128' },
      'cuda-versions: "cu128" is not a version or a range. Allowed: auto, or versions and ranges like 12.8, 12.6-13.0',
    ],
    [
      { torchVersions: '2.9.0', pythonVersions: '3.9' },
      'python-versions: torch 2.9.0 supports no Python 3.9. Allowed: torch 2.9.0: 3.10, 3.11, 3.12, 3.13, 3.13t, 3.14, 3.14t',
    ],
    [
      { pythonVersions: '3.1' },
      'python-versions: torch 2.7.1 supports no Python 3.1 (YAML reads an unquoted 3.10 as 3.1: quote it). Allowed: torch 2.7.1: 3.9, 3.10, 3.11, 3.12, 3.13, 3.13t',
    ],
    [{ pythonVersions: '3.14-3.15' }, /^python-versions: torch 2\.7\.1 supports no Python 3\.14-3\.15\./],
    [
      { pythonVersions: '3.13-3.10' },
      'python-versions: the range "3.13-3.10" runs backwards. Write the lower version first, like 3.12, 3.10-3.13',
    ],
    [{ pythonVersions: '3.12.1' }, /^python-versions: "3\.12\.1" is not a version or a range/],
    [{ pythonVersions: '3.10-3.11-3.12' }, /^python-versions: "3\.10-3\.11-3\.12" is not a version or a range/],
    [{ pythonVersions: '' }, /^python-versions: is empty/],
    [
      { platforms: 'macos-arm64' },
      'platforms: "macos-arm64" is not a platform sagewheels builds for. Allowed: linux-x86_64, linux-aarch64, windows-x86_64',
    ],
    [
      { package: 'xformers' },
      'package: "xformers" is not known. Allowed: auto, sageattention, sageattn3, sageattention1, flash-attn, generic',
    ],
    [{ include: '[{"cuda": "12.8"' }, /^include: is not valid JSON/],
    [{ exclude: 'python: 3.9' }, /^exclude: is not valid JSON/],
    [
      { exclude: '[{"torch": "2.7.1"}]' },
      /^no combination is left to build \(torch 2\.7\.1 with CUDA 11\.8: sageattention needs CUDA >= 12\.0\)\. Widen/,
    ],
  ])('%j', (options, message) => {
    const error = userError(options);
    if (typeof message === 'string') expect(error).toBe(message);
    else expect(error).toMatch(message);
  });
});

describe('include and exclude', () => {
  const base = {
    torchVersions: '2.7.1',
    cudaVersions: '12.6, 12.8',
    pythonVersions: '3.11, 3.12',
    platforms: 'linux-x86_64, windows-x86_64',
  };

  it('exclude drops every job that matches all its keys, and warns about one that matches none', () => {
    const { entries, warnings } = plan({
      ...base,
      exclude: '[{"platform": "windows-x86_64", "cuda": "12.6"}, {"python": "3.9"}]',
    });
    expect(entries).toHaveLength(6);
    expect(jobs(entries).filter((j) => j.includes('12.6') && j.includes('windows'))).toEqual([]);
    expect(warnings).toEqual(['exclude: {"python":"3.9"} matches no planned combination']);
  });

  it('include extends the jobs it matches: a runner label for Windows, a different arch list for one CUDA', () => {
    const { entries } = plan({
      ...base,
      include: JSON.stringify([
        { platform: 'windows-x86_64', runner: ['self-hosted', 'windows', 'gpu'] },
        { cuda: '12.8', 'arch-list': 'sm_120 9.0' },
      ]),
    });
    expect(entries).toHaveLength(8);
    for (const e of entries) {
      expect(e.runner).toEqual(e.platform === 'windows-x86_64' ? ['self-hosted', 'windows', 'gpu'] : undefined);
      expect(e['arch-list']).toBe(e.cuda === '12.8' ? '9.0;12.0' : '8.0;8.6;8.9;9.0');
    }
  });

  it('include adds a job that matches none, completed and checked like a planned one', () => {
    const { entries } = plan({
      ...base,
      include: '[{"torch": "2.8.0", "cuda": "12.9", "python": "3.13", "platform": "linux-x86_64", "runner": "big"}]',
    });
    expect(entries).toHaveLength(9);
    expect(entries[8]).toEqual({
      python: '3.13',
      torch: '2.8.0',
      cuda: '12.9',
      platform: 'linux-x86_64',
      'arch-list': '8.0;8.6;8.9;9.0;10.0;12.0;12.1',
      'version-suffix': '+cu129torch2.8.0',
      runner: 'big',
    });
  });

  it('include adds back what exclude removed', () => {
    const { entries } = plan({
      ...base,
      exclude: '[{"cuda": "12.6"}]',
      include: '[{"torch": "2.7.1", "cuda": "12.6", "python": "3.12", "platform": "linux-x86_64"}]',
    });
    expect(jobs(entries).filter((j) => j.includes(' 12.6 '))).toEqual(['2.7.1 12.6 3.12 linux-x86_64']);
  });

  it('include refuses what cannot be built, and partial objects that match nothing', () => {
    const include = (rule: object) => userError({ ...base, include: JSON.stringify([rule]) });
    const job = { torch: '2.7.1', python: '3.12', platform: 'linux-x86_64' };
    expect(include({ ...job, cuda: '12.9' })).toBe(
      'include: {"torch":"2.7.1","python":"3.12","platform":"linux-x86_64","cuda":"12.9"}: PyTorch published no CUDA 12.9 build of torch 2.7.1 (it published 11.8, 12.6, 12.8). Include only what PyTorch published and the package builds',
    );
    expect(include({ ...job, cuda: '11.8' })).toMatch(/^include: .*: sageattention needs CUDA >= 12\.0\./);
    expect(include({ ...job, cuda: '12.8', python: '3.14' })).toMatch(
      /: torch 2\.7\.1 does not support Python 3\.14 \(3\.9-3\.13\)\./,
    );
    expect(include({ ...job, cuda: '12.8', torch: '2.4.0' })).toMatch(
      /^include: .*: torch "2\.4\.0" is not a PyTorch release\. Nearest published: 2\.5\.0/,
    );
    expect(include({ ...job, cuda: '12.8', platform: 'macos' })).toMatch(
      /: "macos" is not a platform sagewheels builds for/,
    );
    expect(include({ cuda: '13.0', runner: 'x' })).toMatch(
      /^include: \{"cuda":"13\.0","runner":"x"\} matches no planned combination, and lacks python, torch, platform to be a new one\./,
    );
    expect(include({ cuda: '12.6', 'arch-list': '12.0' })).toMatch(
      /^include: 12\.0 cannot be built: with CUDA 12\.6, 12\.0 needs CUDA >= 12\.8\./,
    );
    expect(include({ 'arch-list': 'sm_999' })).toMatch(/^include: "sm_999" is not a GPU architecture CUDA knows/);
    // A new job meets the explicit arch list too.
    expect(
      userError({
        ...base,
        cudaVersions: '12.8',
        archList: '12.0',
        include: JSON.stringify([{ ...job, cuda: '12.6' }]),
      }),
    ).toMatch(/^arch-list: 12\.0 cannot be built: with CUDA 12\.6, 12\.0 needs CUDA >= 12\.8\./);
  });
});

describe('job limit', () => {
  it("refuses a plan larger than GitHub's 256 jobs", () => {
    const big = plan({
      package: 'generic',
      torchVersions: '2.9.0, 2.9.1, 2.10-2.13',
      platforms: 'linux-x86_64 linux-aarch64 windows-x86_64',
    });
    // 6 torches x 3 CUDA x 5 Pythons x 3 platforms, and 3.15 for 2.13.
    expect(big.entries).toHaveLength(279);
    expect(() => checkJobLimit(big)).toThrow(/^the plan has 279 jobs; a GitHub matrix runs at most 256\. Narrow/);
    expect(() => checkJobLimit({ ...big, entries: big.entries.slice(0, 256) })).not.toThrow();
  });
});

describe('platforms: what PyTorch built for each', () => {
  it('linux-aarch64: only the CUDA builds PyTorch made for Arm, with its aarch64 arch list', () => {
    const { entries, leftOut } = plan({ package: 'generic', torchVersions: '2.7.1', platforms: 'linux-aarch64' });
    expect(distinct(entries, 'cuda')).toEqual(['12.8']);
    expect(distinct(entries, 'arch-list')).toEqual(['8.0;9.0;10.0;12.0']);
    expect(leftOut).toEqual([
      'torch 2.7.1 has no CUDA 11.8 build for linux-aarch64 (PyTorch published 12.8 there)',
      'torch 2.7.1 has no CUDA 12.6 build for linux-aarch64 (PyTorch published 12.8 there)',
    ]);
    expect(plan({ package: 'generic', torchVersions: '2.13', platforms: 'linux-aarch64' }).entries[0]).toMatchObject({
      cuda: '12.6',
      'arch-list': '8.0;9.0',
    });
  });

  it('a free-threaded Python only when listed, and only where PyTorch built it', () => {
    expect(distinct(plan({ torchVersions: '2.7.1' }).entries, 'python')).not.toContain('3.13t');
    const { entries, leftOut } = plan({
      torchVersions: '2.7.1',
      cudaVersions: '12.8',
      pythonVersions: '3.12, 3.13t',
      platforms: 'linux-x86_64 windows-x86_64',
    });
    expect(jobs(entries)).toEqual([
      '2.7.1 12.8 3.12 linux-x86_64',
      '2.7.1 12.8 3.12 windows-x86_64',
      '2.7.1 12.8 3.13t linux-x86_64',
    ]);
    expect(leftOut).toEqual(['torch 2.7.1 with CUDA 12.8 has no Python 3.13t wheel for windows-x86_64']);
  });
});
