import { copyFile, mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runProcess } from '../../src/core/exec';
import { findPython, inspectPython, pythonCandidates } from '../../src/python/interpreter';
import { createVenv, nvidiaIncludeDirs } from '../../src/python/venv';

describe('pythonCandidates', () => {
  it('looks in the runner tool cache and pyenv, newest patch first, before PATH', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'py-'));
    for (const v of ['3.12.1', '3.12.10', '3.11.9', '3.120.0'])
      await mkdir(path.join(root, 'tc', 'Python', v), { recursive: true });
    await mkdir(path.join(root, 'pyenv', 'versions', '3.12.3'), { recursive: true });
    const env = { RUNNER_TOOL_CACHE: path.join(root, 'tc'), PYENV_ROOT: path.join(root, 'pyenv') };
    expect(await pythonCandidates('3.12', env, 'linux')).toEqual([
      [path.join(root, 'tc/Python/3.12.10/x64/bin/python3')],
      [path.join(root, 'tc/Python/3.12.1/x64/bin/python3')],
      [path.join(root, 'pyenv/versions/3.12.3/bin/python3')],
      ['python3.12'],
    ]);
    const windows = await pythonCandidates('3.12', env, 'win32');
    expect(windows.at(-2)).toEqual(['py', '-3.12']);
    expect(windows[0]).toEqual([path.join(root, 'tc/Python/3.12.10/x64/python.exe')]);
  });
});

describe('findPython on this machine', () => {
  it('finds 3.12 by version and refuses what is not Python', async () => {
    const info = await findPython('3.12');
    expect(info.version).toMatch(/^3\.12\./);
    expect((await inspectPython(info.executable))?.version).toBe(info.version);
    await expect(findPython('/bin/false')).rejects.toThrow('python: "/bin/false" does not run as a Python interpreter');
    await expect(findPython('3.99')).rejects.toThrow(/no Python 3.99 on this runner/);
    await expect(findPython('latest')).rejects.toThrow(/neither an interpreter path nor a version/);
  });

  it('makes a venv that sees its parent venv packages only when asked', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'venv-'));
    const parent = await createVenv(await findPython('3.12'), path.join(dir, 'parent'));
    await writeFile(path.join(parent.sitePackages[0]!, 'marker_pkg.py'), 'VALUE = 42\n');
    const child = await createVenv(parent, path.join(dir, 'child'), { inherit: true });
    const plain = await createVenv(parent, path.join(dir, 'plain'));
    const probe = ['-c', 'import marker_pkg; print(marker_pkg.VALUE)'];
    expect((await runProcess(child.executable, probe)).stdout.trim()).toBe('42');
    expect((await runProcess(plain.executable, probe)).code).not.toBe(0);
  });
});

describe('createVenv', () => {
  it("puts pip in from the distribution's wheel folder when the standard library has none (Debian, Ubuntu)", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'venv-'));
    const real = await findPython('3.12');
    const bundled = path.join(real.stdlib!, 'ensurepip', '_bundled');
    const pip = (await readdir(bundled)).find((name) => name.startsWith('pip-'))!;
    // As Debian's Python is: no _bundled in the standard library, WHEEL_PKG_DIR with pip and more.
    const wheels = path.join(dir, 'python-wheels');
    await mkdir(wheels);
    await copyFile(path.join(bundled, pip), path.join(wheels, pip));
    await writeFile(path.join(wheels, 'wheel-0.38.4-py3-none-any.whl'), 'not installed by ensurepip');
    const debianLike = { ...real, stdlib: path.join(dir, 'stdlib'), wheelPkgDir: wheels };
    const commands: string[][] = [];
    const venv = await createVenv(debianLike, path.join(dir, 'venv'), {
      runner: (command, args, options) => {
        commands.push([command, ...args]);
        return runProcess(command, args, options);
      },
    });
    expect(commands).toEqual([[real.executable, '-m', 'venv', '--without-pip', path.join(dir, 'venv')]]);
    const version = pip.split('-')[1];
    expect((await runProcess(venv.executable, ['-m', 'pip', '--version'])).stdout).toContain(`pip ${version} from`);
    expect((await runProcess(path.join(dir, 'venv', 'bin', 'pip'), ['--version'])).stdout).toContain(`pip ${version}`);
    expect(await readdir(venv.sitePackages[0]!)).not.toContain('wheel');
  });
});

describe('nvidiaIncludeDirs', () => {
  it("finds the nvidia-* wheels' header folders on the venv's path, both layouts", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'venv-'));
    const venv = await createVenv(await findPython('3.12'), path.join(dir, 'venv'));
    const site = venv.sitePackages[0]!;
    for (const sub of ['nvidia/cu13/include', 'nvidia/cublas/include', 'nvidia/cublas/lib'])
      await mkdir(path.join(site, sub), { recursive: true });
    expect(await nvidiaIncludeDirs(venv.executable)).toEqual(
      [path.join(site, 'nvidia/cu13/include'), path.join(site, 'nvidia/cublas/include')].sort(),
    );
  });
});
