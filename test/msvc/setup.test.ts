import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/core/errors';
import { Inputs } from '../../src/core/step';
import { summaryMarkdown } from '../../src/core/summary';
import { parseMsvcInputs, setupMsvc, summaryBlocks, type MsvcInputs } from '../../src/msvc/setup';
import { step } from '../../src/steps/setup-msvc';
import { recordingContext } from '../helpers/context';
import {
  fakeWindows,
  fixture,
  runnerEnv,
  VS_17_14,
  VS_17_9,
  VS_18,
  VS_18_INSIDERS,
  type Call,
  type FakeWindowsOptions,
} from './fake-windows';

const ALL = [VS_17_9, VS_18, VS_17_14, VS_18_INSIDERS];

/** setup-msvc's library on a fake Windows runner: what it chose, said, and ran. */
function onWindows(scenario: FakeWindowsOptions, inputs: Partial<MsvcInputs> = {}) {
  const windows = fakeWindows(scenario);
  const ctx = recordingContext();
  const options = parseMsvcInputs({ arch: 'x64', vsVersion: 'latest', allowUnsupportedCompiler: false, ...inputs });
  return { ...windows, ctx, options, setup: () => setupMsvc(options, windows.host, ctx.log) };
}

const cmdCalls = (calls: Call[]) => calls.filter((call) => call.command.endsWith('cmd.exe'));

describe('the toolset for each CUDA version on each Visual Studio', () => {
  // Each Visual Studio with only the toolset it ships: 17.9 -> 14.39, 17.14 -> 14.44, 18.x -> 14.50.
  const expected: Record<string, Record<string, string>> = {
    '12.3': { '17.9': '14.39.33519', '17.14': 'install 14.39', '18': 'install 14.39' },
    '12.8': { '17.9': '14.39.33519', '17.14': '14.44.35207', '18': 'install 14.44' },
    '13.0': { '17.9': '14.39.33519', '17.14': '14.44.35207', '18': 'install 14.44' },
    '13.2': { '17.9': '14.39.33519', '17.14': '14.44.35207', '18': '14.50.35717' },
  };
  const cases = Object.entries(expected).flatMap(([cuda, row]) =>
    Object.entries(row).map(([vs, want]) => [cuda, vs, want] as const),
  );

  it.each(cases)('CUDA %s on VS %s: %s', async (cuda, vs, want) => {
    const run = onWindows({ installs: ALL }, { cudaVersion: cuda, vsVersion: vs });
    if (want.startsWith('install')) {
      const toolset = want.split(' ')[1]!;
      const error = await run.setup().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toMatch(
        new RegExp(
          `^cuda-version: CUDA ${cuda}'s nvcc accepts _MSC_VER \\d+-\\d+ .*and none is installed \\(found 14\\.`,
        ),
      );
      expect((error as Error).message).toContain(
        `Install MSVC toolset ${toolset} (Visual Studio Installer component Microsoft.VisualStudio.Component.VC.${toolset}.`,
      );
      expect((error as Error).message).toContain('or set allow-unsupported-compiler: true');
      expect((error as Error).message).not.toContain('\n');
      expect(cmdCalls(run.calls)).toEqual([]);
      return;
    }
    const result = await run.setup();
    expect(result.toolsetVersion).toBe(want);
    expect(result.mscVer).toBe(1900 + Number(want.split('.')[1]));
    expect(result.install.version.startsWith(`${vs}.`)).toBe(true);
    expect(result.install.prerelease).toBe(false);
    expect(result.changes.set.VCToolsVersion).toBe(want);
    expect(result.changes.set.DISTUTILS_USE_SDK).toBe('1');
    expect(result.changes.set.NVCC_APPEND_FLAGS).toBeUndefined();
    const [cmd] = cmdCalls(run.calls);
    expect(cmd!.args.at(-1)).toContain(`\\VC\\Auxiliary\\Build\\vcvarsall.bat" x64 -vcvars_ver=${want} && `);
  });

  it('with every Visual Studio installed, takes the newest toolset the CUDA version accepts', async () => {
    const chosen = async (cuda: string) => {
      const result = await onWindows({ installs: ALL }, { cudaVersion: cuda }).setup();
      return `${result.toolsetVersion} ${result.install.name}`;
    };
    expect(await chosen('12.3')).toBe('14.39.33519 Visual Studio Build Tools 2022 17.9.6');
    expect(await chosen('12.8')).toBe('14.44.35207 Visual Studio Community 2022 17.14.7');
    expect(await chosen('13.0')).toBe('14.44.35207 Visual Studio Community 2022 17.14.7');
    // 14.50 is in both VS 2026 installs: the release wins over the Insiders build.
    expect(await chosen('13.2')).toBe('14.50.35717 Visual Studio Enterprise 2026 18.0.2');
  });

  it('uses a side-by-side toolset of VS 2026 for CUDA 13.0', async () => {
    const vs18 = { ...VS_18, toolsets: ['14.50.35717', '14.44.35207', '14.38.33130'] };
    const run = onWindows({ installs: [vs18] }, { cudaVersion: '13.0' });
    const result = await run.setup();
    expect(result.toolsetVersion).toBe('14.44.35207');
    expect(result.mscVer).toBe(1944);
    expect(result.install.path).toBe(VS_18.path);
    expect(result.choice.reason).toBe(
      "the newest toolset CUDA 13.0's nvcc accepts (_MSC_VER 1920-1949 (MSVC toolsets 14.20-14.49))",
    );
    expect(run.ctx.text()).toContain(
      'Visual Studio Enterprise 2026 18.0.2 (18.0.11222.15) at C:\\Program Files\\Microsoft Visual Studio\\18\\Enterprise: 14.50.35717, 14.44.35207, 14.38.33130',
    );
  });
});

describe('inputs that choose', () => {
  const vs18 = { ...VS_18, toolsets: ['14.50.35717', '14.44.35207'] };

  it('toolset forces one, and fails naming the rejection when nvcc would refuse it', async () => {
    expect((await onWindows({ installs: [vs18] }, { toolset: '14.44' }).setup()).toolsetVersion).toBe('14.44.35207');
    await expect(onWindows({ installs: [vs18] }, { toolset: '14.50', cudaVersion: '13.0' }).setup()).rejects.toThrow(
      "toolset: 14.50.35717 (Visual Studio Enterprise 2026 18.0.2) has _MSC_VER 1950, which CUDA 13.0's nvcc rejects: it accepts _MSC_VER 1920-1949 (MSVC toolsets 14.20-14.49). Choose a toolset in that range, or set allow-unsupported-compiler: true",
    );
  });

  it('toolset that is not installed fails with the toolsets found and the component to install', async () => {
    const run = onWindows({ installs: [vs18] }, { toolset: '14.38' });
    await expect(run.setup()).rejects.toThrow(
      'toolset: "14.38" is not installed (found 14.50.35717 (Visual Studio Enterprise 2026 18.0.2), 14.44.35207 (Visual Studio Enterprise 2026 18.0.2)). Install it with the Visual Studio Installer component Microsoft.VisualStudio.Component.VC.14.38.17.8.x86.x64, or leave toolset empty',
    );
    expect(cmdCalls(run.calls)).toEqual([]);
  });

  it('without cuda-version, leaves the preferred Visual Studio (newest release) at its default toolset', async () => {
    const run = onWindows({ installs: ALL });
    const result = await run.setup();
    expect(result.install.name).toBe('Visual Studio Enterprise 2026 18.0.2');
    expect(result.toolsetVersion).toBe('14.50.35717');
    expect(result.choice.range).toBeUndefined();
    expect(cmdCalls(run.calls)[0]!.args.at(-1)).toContain('vcvarsall.bat" x64 && echo');
  });

  it('vs-version picks by year or version prefix, and names the installs when none matches', async () => {
    expect((await onWindows({ installs: ALL }, { vsVersion: '2022' }).setup()).install.version).toBe('17.14.36301.6');
    expect((await onWindows({ installs: ALL }, { vsVersion: '17.9' }).setup()).install.version).toBe('17.9.34728.123');
    expect((await onWindows({ installs: ALL }, { vsVersion: '2026' }).setup()).install.version).toBe('18.0.11222.15');
    await expect(onWindows({ installs: ALL }, { vsVersion: '2019' }).setup()).rejects.toThrow(
      /^vs-version: "2019" matches none of the installs found: Visual Studio Enterprise 2026 18\.0\.2 \(18\.0\.11222\.15\), .*Visual Studio Enterprise 2026 Insiders 18\.1\.0 Insiders \[11304\.174\] \(18\.1\.11304\.174\)\. Allowed:/,
    );
  });

  it('fails in one line that says what to install (as the README shows)', async () => {
    await expect(onWindows({ installs: [VS_18] }, { cudaVersion: '13.0' }).setup()).rejects.toThrow(
      new ConfigurationError(
        "cuda-version: CUDA 13.0's nvcc accepts _MSC_VER 1920-1949 (MSVC toolsets 14.20-14.49), and none is installed (found 14.50.35717 (Visual Studio Enterprise 2026 18.0.2)). Install MSVC toolset 14.44 (Visual Studio Installer component Microsoft.VisualStudio.Component.VC.14.44.17.14.x86.x64), or set allow-unsupported-compiler: true to build with an unsupported one",
      ),
    );
  });

  it('allow-unsupported-compiler builds with the newest toolset and tells nvcc and the STL, with a warning', async () => {
    const run = onWindows({ installs: [VS_18] }, { cudaVersion: '13.0', allowUnsupportedCompiler: true });
    const result = await run.setup();
    expect(result.toolsetVersion).toBe('14.50.35717');
    expect(result.choice.unsupported).toBe(true);
    // Appended to what the runner had, not in place of it.
    expect(result.changes.set.NVCC_APPEND_FLAGS).toBe(
      '-Xcompiler=/utf-8 -allow-unsupported-compiler -D_ALLOW_COMPILER_AND_STL_VERSION_MISMATCH',
    );
    const warnings = run.ctx.lines.filter((line) => line.level === 'warning').map((line) => line.message);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^MSVC 14\.50\.35717 \(_MSC_VER 1950\) is not supported by CUDA 13\.0's nvcc, which accepts 1920-1949/,
    );
  });

  it('allow-unsupported-compiler changes nothing when a supported toolset is installed', async () => {
    const result = await onWindows({ installs: ALL }, { cudaVersion: '13.0', allowUnsupportedCompiler: true }).setup();
    expect(result.toolsetVersion).toBe('14.44.35207');
    expect(result.changes.set.NVCC_APPEND_FLAGS).toBeUndefined();
  });

  it('arch picks the cross compiler and refuses toolsets without it', async () => {
    const withArm = { ...VS_17_14, compilers: ['bin\\Hostx64\\x64', 'bin\\Hostx64\\arm64'] };
    const result = await onWindows({ installs: [withArm] }, { arch: 'amd64_arm64' }).setup();
    expect(result.changes.set.VSCMD_ARG_TGT_ARCH).toBe('arm64');
    expect(result.changes.set.Platform).toBe('arm64');
    await expect(onWindows({ installs: [VS_17_14] }, { arch: 'x64_arm64' }).setup()).rejects.toThrow(
      /^arch: no MSVC toolset of Visual Studio Community 2022 17\.14\.7 has the x64-hosted arm64 compiler \(bin\\Hostx64\\arm64\\cl\.exe\)/,
    );
  });
});

describe('finding Visual Studio', () => {
  it('asks vswhere for every product with the C++ x86/x64 tools, as JSON', async () => {
    const run = onWindows({ installs: [VS_17_14] });
    await run.setup();
    expect(run.calls[0]).toEqual({
      command: 'C:\\Program Files (x86)\\Microsoft Visual Studio\\Installer\\vswhere.exe',
      args: [
        '-products',
        '*',
        '-prerelease',
        '-requires',
        'Microsoft.VisualStudio.Component.VC.Tools.x86.x64',
        '-format',
        'json',
        '-utf8',
      ],
      options: { env: runnerEnv() },
    });
  });

  it.each(['missing', 'fails'] as const)('looks in the standard folders when vswhere is %s', async (vswhere) => {
    const run = onWindows({ installs: ALL, vswhere }, { vsVersion: '2022', cudaVersion: '12.8' });
    const result = await run.setup();
    expect(result.install).toEqual({
      path: VS_17_14.path,
      version: '17',
      name: 'Visual Studio Community 2022',
      prerelease: false,
    });
    expect(result.toolsetVersion).toBe('14.44.35207');
    expect(run.ctx.text()).toMatch(
      vswhere === 'missing'
        ? /info: vswhere is not at .*; looking in the standard folders/
        : /warning: vswhere .* failed \(exit code 87: Error 0x57/,
    );
    expect(run.ctx.text()).toContain(
      'Visual Studio BuildTools 2022 (17) at C:\\Program Files (x86)\\Microsoft Visual Studio\\2022\\BuildTools: 14.39.33519',
    );
  });

  it('says what to install when there is no Visual Studio at all', async () => {
    await expect(onWindows({ installs: [] }).setup()).rejects.toThrow(
      /^No Visual Studio with the C\+\+ build tools was found .* with the "Desktop development with C\+\+" workload$/,
    );
  });
});

describe('running vcvarsall', () => {
  it('hands cmd.exe one quoted line, verbatim, with the runner environment', async () => {
    const run = onWindows({ installs: [VS_17_9] }, { cudaVersion: '12.3' });
    await run.setup();
    const [cmd] = cmdCalls(run.calls);
    expect(cmd).toEqual({
      command: 'C:\\Windows\\system32\\cmd.exe',
      args: [
        '/d',
        '/v:off',
        '/s',
        '/c',
        `"set && echo SAGEWHEELS-VCVARSALL-BEGIN && call "${VS_17_9.path}\\VC\\Auxiliary\\Build\\vcvarsall.bat" x64 -vcvars_ver=14.39.33519 && echo SAGEWHEELS-VCVARSALL-END && set"`,
      ],
      options: { env: runnerEnv(), windowsVerbatimArguments: true },
    });
    expect(run.ctx.text()).toContain("info: [vcvarsall.bat] Environment initialized for: 'x64'");
  });

  it('fails on the [ERROR: lines of a vcvarsall that exits 0', async () => {
    const run = onWindows({ installs: [VS_17_14], recordedCmd: { stdout: fixture('vcvarsall-error.txt') } });
    await expect(run.setup()).rejects.toThrow(
      /failed \(exit code 0\):\n\[ERROR:vcvars\.bat\] Version '14\.38\.33130' is not valid/,
    );
  });

  it('refuses an environment whose toolset is not the one asked for', async () => {
    // The recorded run set up 14.44.35207; asked for 14.44.35210, the step must not pass it off.
    const vs = { ...VS_17_14, toolsets: ['14.44.35210'] };
    const run = onWindows(
      { installs: [vs], recordedCmd: { stdout: fixture('vcvarsall-17.14-x64.txt') } },
      { cudaVersion: '12.8' },
    );
    await expect(run.setup()).rejects.toThrow(
      'vcvarsall.bat set VCToolsVersion to "14.44.35207", not the toolset 14.44.35210',
    );
  });

  it('adds nothing to PATH when the job already has this environment', async () => {
    const first = await onWindows({ installs: [VS_17_14] }).setup();
    const env = runnerEnv();
    const again = { ...env, ...first.changes.set, Path: [...first.changes.path, env.Path].join(';') };
    const second = await onWindows({ installs: [VS_17_14], env: again }).setup();
    expect(first.changes.path.length).toBeGreaterThan(0);
    expect(second.changes.path).toEqual([]);
    // vcvarsall keeps the PATH it started from in __VSCMD_PREINIT_PATH, which now holds its own folders.
    expect(Object.keys(second.changes.set).sort()).toEqual(['DISTUTILS_USE_SDK', '__VSCMD_PREINIT_PATH']);
  });
});

it('sums up what was chosen, why, and what the job now has', async () => {
  const run = onWindows({ installs: [VS_18] }, { cudaVersion: '13.0', allowUnsupportedCompiler: true });
  const markdown = summaryMarkdown(summaryBlocks(await run.setup(), run.options));
  expect(markdown).toContain('| Toolset | 14.50.35717 (_MSC_VER 1950) |');
  expect(markdown).toContain('| CUDA | 13.0: nvcc accepts _MSC_VER 1920-1949, unsupported toolset allowed |');
  expect(markdown).toContain('| Folder | C:\\Program Files\\Microsoft Visual Studio\\18\\Enterprise |');
  expect(markdown).toContain('<summary>Environment: 14 variables set, 4 folders put first on PATH</summary>');
  expect(markdown).toMatch(/\nDISTUTILS_USE_SDK\n/);
  expect(markdown).toMatch(/\nNVCC_APPEND_FLAGS\n/);
  expect(markdown).toContain(
    'PATH += C:\\Program Files\\Microsoft Visual Studio\\18\\Enterprise\\VC\\Tools\\MSVC\\14.50.35717\\bin\\Hostx64\\x64',
  );
});

describe('the setup-msvc step', () => {
  it.skipIf(process.platform === 'win32')('on Linux and macOS says so and leaves the environment alone', async () => {
    const ctx = recordingContext();
    const outputs = await step.run(new Inputs(step.spec, { 'cuda-version': '12.8' }), ctx);
    expect(outputs).toEqual({ 'vs-path': '', 'toolset-version': '', 'msc-ver': '' });
    expect(ctx.lines).toEqual([
      {
        level: 'notice',
        message: `setup-msvc: MSVC is for Windows runners; nothing to do on ${process.platform}, and the environment is unchanged`,
      },
    ]);
    expect(ctx.exported).toEqual({});
    expect(ctx.paths).toEqual([]);
    expect(ctx.summary).toEqual([]);
  });

  it('checks every input first, on every platform', async () => {
    const run = async (raw: Record<string, string>) => step.run(new Inputs(step.spec, raw), recordingContext());
    await expect(run({ arch: 'x64 & calc' })).rejects.toThrow(/^arch: "x64 & calc" is not a vcvarsall architecture/);
    await expect(run({ toolset: '14.4' })).rejects.toThrow(/^toolset: "14\.4" is not an MSVC toolset version/);
    await expect(run({ 'vs-version': '2024' })).rejects.toThrow(
      /^vs-version: "2024" is not a Visual Studio year\. Allowed: latest, a year \(2017, 2019, 2022, 2026\)/,
    );
    await expect(run({ 'cuda-version': '12' })).rejects.toThrow(/^cuda-version: "12" is not a CUDA version/);
    await expect(run({ 'allow-unsupported-compiler': 'yes' })).rejects.toThrow(
      /^allow-unsupported-compiler: "yes" is not a boolean/,
    );
  });
});
