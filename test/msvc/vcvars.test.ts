import { describe, expect, it } from 'vitest';
import { compilerDir, parseArch, readVcvarsOutput, vcvarsCommandLine } from '../../src/msvc/vcvars';
import { fixture } from './fake-windows';

const VCVARSALL =
  'C:\\Program Files (x86)\\Microsoft Visual Studio\\2022\\BuildTools\\VC\\Auxiliary\\Build\\vcvarsall.bat';

describe('arch', () => {
  it('takes the architectures vcvarsall documents, amd64 spelled as x64', () => {
    expect(parseArch('x64')).toEqual({ host: 'x64', target: 'x64', name: 'x64' });
    expect(parseArch('AMD64_x86')).toEqual({ host: 'x64', target: 'x86', name: 'x64_x86' });
    expect(parseArch('x86_amd64')).toEqual({ host: 'x86', target: 'x64', name: 'x86_x64' });
    expect(parseArch('arm64')).toEqual({ host: 'arm64', target: 'arm64', name: 'arm64' });
    expect(compilerDir(parseArch('x64_arm64'))).toBe('bin\\Hostx64\\arm64');
  });

  it('refuses anything else before it can reach cmd.exe', () => {
    for (const bad of ['x64 && calc', 'x64"', 'win64', 'arm', 'x64_x64_x64', '', '%PATH%']) {
      expect(() => parseArch(bad), bad).toThrow(
        /^arch: ".*" is not a vcvarsall architecture\. Allowed: x64, x86, arm64, x64_x86/,
      );
    }
  });
});

describe('the cmd.exe line', () => {
  it('lists the environment, runs vcvarsall with the arch and the toolset, and lists it again', () => {
    expect(vcvarsCommandLine(VCVARSALL, parseArch('x64'), '14.39.33519')).toBe(
      `set && echo SAGEWHEELS-VCVARSALL-BEGIN && call "${VCVARSALL}" x64 -vcvars_ver=14.39.33519 && echo SAGEWHEELS-VCVARSALL-END && set`,
    );
    expect(vcvarsCommandLine(VCVARSALL, parseArch('amd64_arm64'))).toContain(`call "${VCVARSALL}" x64_arm64 && echo`);
  });

  it('refuses pieces cmd.exe would interpret, however they got there', () => {
    expect(() => vcvarsCommandLine('C:\\VS %PATH%\\vcvarsall.bat', parseArch('x64'))).toThrow(
      /a character cmd\.exe would interpret/,
    );
    expect(() => vcvarsCommandLine('C:\\VS"&calc&"\\vcvarsall.bat', parseArch('x64'))).toThrow(
      /a character cmd\.exe would interpret/,
    );
    expect(() => vcvarsCommandLine(VCVARSALL, { host: 'x64', target: 'x64', name: 'x64&calc' })).toThrow(
      /is not one of/,
    );
    expect(() => vcvarsCommandLine(VCVARSALL, parseArch('x64'), '14.39&calc')).toThrow(
      /is not a 14\.NN\.BBBBB folder name/,
    );
    expect(() => vcvarsCommandLine(VCVARSALL, parseArch('x64'), '14.39')).toThrow(/is not a 14\.NN\.BBBBB folder name/);
  });
});

describe("vcvarsall's output", () => {
  it('fails on [ERROR: lines even though vcvarsall exits 0, quoting them', () => {
    const read = () =>
      readVcvarsOutput(fixture('vcvarsall-error.txt'), '', 0, 'vcvarsall.bat x64 -vcvars_ver=14.38.33130');
    expect(read).toThrow(
      /^vcvarsall\.bat x64 -vcvars_ver=14\.38\.33130 failed \(exit code 0\):\n\[ERROR:vcvars\.bat\] Version '14\.38\.33130' is not valid; directory does not exist\n/,
    );
    expect(read).toThrow(/VsDevCmd\.bat encountered errors/);
  });

  it("fails when cmd's line limit cut vcvarsall short on a long PATH", () => {
    const stdout = fixture('vcvarsall-17.14-x64.txt');
    const stderr = 'The input line is too long.\r\nThe syntax of the command is incorrect.\r\n';
    expect(() => readVcvarsOutput(stdout, stderr, 0, 'vcvarsall.bat x64')).toThrow(
      /failed \(exit code 0\):\nThe input line is too long\.$/,
    );
  });

  it('fails with the end of the output when vcvarsall stopped with an exit code', () => {
    const stdout = `${fixture('set-runner.txt')}SAGEWHEELS-VCVARSALL-BEGIN \r\n`;
    expect(() =>
      readVcvarsOutput(stdout, 'The system cannot find the path specified.\r\n', 1, 'vcvarsall.bat x64'),
    ).toThrow('vcvarsall.bat x64 failed (exit code 1):\nThe system cannot find the path specified.');
  });
});
