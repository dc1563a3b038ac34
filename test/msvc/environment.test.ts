import { describe, expect, it } from 'vitest';
import { applyEnvChanges, environmentChanges, parseSet, uniqueFolders } from '../../src/msvc/environment';
import { readVcvarsOutput } from '../../src/msvc/vcvars';
import { recordingContext } from '../helpers/context';
import { fixture, runnerEnv } from './fake-windows';

const VS = 'C:\\Program Files\\Microsoft Visual Studio\\2022\\Community';
const TOOLS = `${VS}\\VC\\Tools\\MSVC\\14.44.35207`;
const KITS = 'C:\\Program Files (x86)\\Windows Kits\\10';

describe('parseSet', () => {
  it('splits each line at its first `=` only, and keys names without case', () => {
    const env = parseSet(fixture('set-runner.txt').split('\r\n'));
    expect(env.get('JAVA_TOOL_OPTIONS')?.value).toBe('-Dfile.encoding=UTF-8 -Dsun.stdout.encoding=UTF-8');
    expect(env.get('UV_INDEX')?.value).toBe('pytorch=https://download.pytorch.org/whl/cu128');
    expect(env.get('NVCC_APPEND_FLAGS')?.value).toBe('-Xcompiler=/utf-8');
    expect(env.get('PATH')?.name).toBe('Path');
    expect(env.get('PATH')?.value.split(';')).toHaveLength(65);
    expect(env.get('PATH')?.value).toContain(';C:\\tools\\ccache=4.11\\bin;');
    expect(env.get('COMMONPROGRAMFILES(X86)')?.value).toBe('C:\\Program Files (x86)\\Common Files');
    expect(env.size).toBe(Object.keys(runnerEnv()).length);
  });

  it("skips cmd's hidden per-drive variables and lines that are not variables", () => {
    const env = parseSet(['=C:=C:\\actions-runner\\_work', '=ExitCode=00000000', 'A=1', '', 'continued line', 'B==x']);
    expect([...env.values()]).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: '=x' },
    ]);
  });
});

describe('the environment vcvarsall leaves (recorded: VS 17.14, x64, toolset 14.44.35207)', () => {
  const run = readVcvarsOutput(fixture('vcvarsall-17.14-x64.txt'), '', 0, 'vcvarsall.bat x64');
  const changes = environmentChanges(run.before, run.after, runnerEnv());

  it("reads vcvarsall's own lines between the two listings", () => {
    expect(run.before.size).toBe(Object.keys(runnerEnv()).length);
    expect(run.messages.at(-1)).toBe("[vcvarsall.bat] Environment initialized for: 'x64'");
  });

  it('exports every variable vcvarsall set or changed, and no other', () => {
    expect(Object.keys(changes.set).sort()).toEqual(
      [
        'CommandPromptType',
        'DevEnvDir',
        'ExtensionSdkDir',
        'EXTERNAL_INCLUDE',
        'Framework40Version',
        'FrameworkDir',
        'FrameworkDIR64',
        'FrameworkVersion',
        'FrameworkVersion64',
        'FSHARPINSTALLDIR',
        'HTMLHelpDir',
        'IFCPATH',
        'INCLUDE',
        'is_x64_arch',
        'LIB',
        'LIBPATH',
        'NETFXSDKDir',
        'Platform',
        'UCRTVersion',
        'UniversalCRTSdkDir',
        'VCIDEInstallDir',
        'VCINSTALLDIR',
        'VCPKG_ROOT',
        'VCToolsInstallDir',
        'VCToolsRedistDir',
        'VCToolsVersion',
        'VisualStudioVersion',
        'VS170COMNTOOLS',
        'VSCMD_ARG_app_plat',
        'VSCMD_ARG_HOST_ARCH',
        'VSCMD_ARG_TGT_ARCH',
        'VSCMD_VER',
        'VSINSTALLDIR',
        'WindowsLibPath',
        'WindowsSdkBinPath',
        'WindowsSdkDir',
        'WindowsSDKLibVersion',
        'WindowsSdkVerBinPath',
        'WindowsSDKVersion',
        'WindowsSDK_ExecutablePath_x64',
        'WindowsSDK_ExecutablePath_x86',
        '__DOTNET_ADD_64BIT',
        '__DOTNET_PREFERRED_BITNESS',
        '__VSCMD_PREINIT_PATH',
      ].sort(),
    );
    expect(changes.set.VCToolsVersion).toBe('14.44.35207');
    expect(changes.set.VCToolsInstallDir).toBe(`${TOOLS}\\`);
    // A changed value holding `=` comes through whole (the old PATH, with C:\tools\ccache=4.11\bin).
    expect(changes.set.__VSCMD_PREINIT_PATH).toBe(runnerEnv().Path);
  });

  it('puts each new PATH folder first once: no repeats, none the runner has in another case or with a trailing \\', () => {
    expect(changes.path).toEqual([
      `${TOOLS}\\bin\\HostX64\\x64`,
      `${VS}\\Common7\\IDE\\VC\\VCPackages`,
      `${VS}\\Common7\\IDE\\CommonExtensions\\Microsoft\\TestWindow`,
      `${VS}\\Common7\\IDE\\CommonExtensions\\Microsoft\\TeamFoundation\\Team Explorer`,
      `${VS}\\MSBuild\\Current\\bin\\Roslyn`,
      `${VS}\\Team Tools\\DiagnosticsHub\\Collector`,
      `${KITS}\\bin\\10.0.26100.0\\\\x64`,
      `${KITS}\\bin\\\\x64`,
      `${VS}\\\\MSBuild\\Current\\Bin\\amd64`,
      `${VS}\\Common7\\IDE\\`,
      `${VS}\\Common7\\Tools\\`,
      `${VS}\\Common7\\IDE\\CommonExtensions\\Microsoft\\CMake\\CMake\\bin`,
      `${VS}\\Common7\\IDE\\CommonExtensions\\Microsoft\\CMake\\Ninja`,
      `${VS}\\Common7\\IDE\\VC\\Linux\\bin\\ConnectionManagerExe`,
      `${VS}\\VC\\vcpkg`,
    ]);
    expect(changes.set.Path ?? changes.set.PATH).toBeUndefined();
  });

  it("puts vcvarsall's folders before the list the process already has", () => {
    expect(changes.set.LIB!.split(';')).toEqual([
      `${TOOLS}\\lib\\x64`,
      'C:\\Program Files (x86)\\Windows Kits\\NETFXSDK\\4.8\\lib\\um\\x64',
      `${KITS}\\lib\\10.0.26100.0\\ucrt\\x64`,
      `${KITS}\\\\lib\\10.0.26100.0\\\\um\\x64`,
      'C:\\vcpkg\\installed\\x64-windows\\lib',
    ]);
    // LIB as this process has it, not as cmd's code page printed it.
    const current = { ...runnerEnv(), LIB: 'C:\\Users\\Łukasz\\vcpkg\\lib' };
    expect(environmentChanges(run.before, run.after, current).set.LIB!.split(';').at(-1)).toBe(
      'C:\\Users\\Łukasz\\vcpkg\\lib',
    );
  });

  it('exports PATH through addPath so that, prepended one by one, it reads in vcvarsall order', () => {
    const ctx = recordingContext();
    applyEnvChanges(changes, ctx.env);
    const path = ctx.paths.reduce<string[]>((list, dir) => [dir, ...list], []);
    expect(path).toEqual(changes.path);
    expect(ctx.exported).toEqual(changes.set);
  });
});

it('uniqueFolders keeps the first of folders that differ in case or a trailing separator', () => {
  expect(uniqueFolders(['C:\\A\\', 'c:\\a', '', 'C:\\B', 'C:\\a\\\\', 'C:\\b/'])).toEqual(['C:\\A\\', 'C:\\B']);
});
