import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { type ProcessRunner, runProcess } from '../../src/core/exec';
import { findPython } from '../../src/python/interpreter';
import { provideTorch, torchImportProblem } from '../../src/python/venv';

let dir = '';
afterAll(() => rm(dir, { recursive: true, force: true }));

it("torch: preinstalled names the interpreter's own error when import torch fails for another reason", async () => {
  const python = (await findPython('3.12')).executable;
  dir = await mkdtemp(path.join(tmpdir(), 'torch-import-'));
  // A torch whose own import fails, as a torch missing its typing_extensions dependency does.
  await mkdir(path.join(dir, 'broken', 'torch'), { recursive: true });
  await writeFile(path.join(dir, 'broken', 'torch', '__init__.py'), 'import typing_extensions_not_here\n');
  await mkdir(path.join(dir, 'empty'));
  const withPath =
    (folder: string): ProcessRunner =>
    (command, args, options) =>
      runProcess(command, args, { ...options, env: { ...process.env, PYTHONPATH: path.join(dir, folder) } });
  const want = { cuda: '13.0' };

  await expect(provideTorch(python, 'preinstalled', want, withPath('broken'))).rejects.toThrow(
    `torch: "preinstalled" but import torch fails in ${python}: ModuleNotFoundError: No module named 'typing_extensions_not_here'. Fix that interpreter's packages, or use torch: install with torch-version`,
  );
  await expect(provideTorch(python, 'preinstalled', want, withPath('empty'))).rejects.toThrow(
    `torch: "preinstalled" but ${python} has no torch (ModuleNotFoundError: No module named 'torch')`,
  );

  // With its version.py (as every real torch has), torch is taken without importing it (seconds on a
  // GPU runner); a build that then fails asks torchImportProblem, which names the same cause.
  const versioned = path.join(dir, 'versioned', 'torch');
  await mkdir(versioned, { recursive: true });
  await writeFile(path.join(versioned, '__init__.py'), 'import typing_extensions_not_here\n');
  await writeFile(path.join(versioned, 'version.py'), "__version__ = '2.11.0+cu130'\ncuda = '13.0'\n");
  expect(await provideTorch(python, 'preinstalled', want, withPath('versioned'))).toEqual({
    version: '2.11.0+cu130',
    cuda: '13.0',
    dir: versioned,
  });
  expect((await torchImportProblem(python, withPath('versioned')))?.message).toBe(
    `torch: "preinstalled" but import torch fails in ${python}: ModuleNotFoundError: No module named 'typing_extensions_not_here'. Fix that interpreter's packages, or use torch: install with torch-version`,
  );
  expect(await torchImportProblem(python, withPath('empty'))).toMatchObject({
    message: expect.stringContaining('has no torch'),
  });
});
