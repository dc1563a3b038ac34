import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { provideBuildRequirements, readBuildRequirements } from '../../src/builder/requirements';
import { runProcess, type ProcessRunner } from '../../src/core/exec';
import { findPython } from '../../src/python/interpreter';
import { createVenv } from '../../src/python/venv';
import { offlinePipEnv } from '../helpers/offline-pip';
import { recordingContext } from '../helpers/context';

// Offline, as on the GPU machine: pip finds only what PIP_FIND_LINKS holds.
const env = { ...process.env, ...offlinePipEnv() };
const run: ProcessRunner = (command, args, options = {}) => runProcess(command, args, { ...options, env });

describe('build requirements, the same rule offline and online', () => {
  let dir: string;
  let python: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'reqs-'));
    python = (await createVenv(await findPython('3.11'), path.join(dir, 'venv'), { runner: run })).executable;
    await writeFile(
      path.join(dir, 'pyproject.toml'),
      '[build-system]\nrequires = [\n  "setuptools>=40,<41",\n  "wheel",\n  "torch>=2.0",\n  "no-such-build-helper>=1",\n  "colorama; sys_platform == \'win32\'",\n]\nbuild-backend = "setuptools.build_meta"\n',
    );
  });

  it('reads pyproject.toml, drops what a marker rules out, and says what the venv has', async () => {
    const reqs = await readBuildRequirements(python, dir, ['ninja'], run);
    expect(reqs.map((r) => [r.requirement, r.satisfied])).toEqual([
      ['setuptools>=40,<41', false],
      ['wheel', false],
      ['torch>=2.0', false],
      ['no-such-build-helper>=1', false],
      ['ninja', false],
    ]);
    expect(reqs[0]!.installed).toMatch(/^\d+\./);
    expect(reqs[1]!.installed).toBeUndefined();
  });

  it('installs what is missing or at another version, keeps what is there when pip cannot help, never installs torch', async () => {
    const ctx = recordingContext();
    await provideBuildRequirements(python, await readBuildRequirements(python, dir, [], run), ctx.log, run);
    const after = await readBuildRequirements(python, dir, [], run);
    expect(after.find((r) => r.name === 'wheel')?.satisfied).toBe(true);
    expect(after.find((r) => r.name === 'setuptools')?.satisfied).toBe(false);
    expect(after.find((r) => r.name === 'torch')?.installed).toBeUndefined();
    const warnings = ctx.lines.filter((l) => l.level === 'warning').map((l) => l.message);
    expect(warnings).toEqual([
      expect.stringMatching(
        /^could not install build requirement setuptools>=40,<41 \(ERROR: .*\); building with setuptools \d[\d.]* as it is$/,
      ),
      expect.stringMatching(
        /^could not install build requirement no-such-build-helper>=1 \(ERROR: .*\); building without it$/,
      ),
    ]);
    expect(ctx.text()).not.toMatch(/installing build requirements?[^\n]*\btorch\b/);
    expect(ctx.text()).toMatch(/installing build requirements? [^\n]*setuptools>=40,<41 \(the venv has setuptools \d/);
  });

  it('falls back to setuptools and wheel without a pyproject.toml', async () => {
    const bare = await mkdtemp(path.join(tmpdir(), 'reqs-bare-'));
    expect((await readBuildRequirements(python, bare, [], run)).map((r) => r.requirement)).toEqual([
      'setuptools>=40.8.0',
      'wheel',
    ]);
  });
});
