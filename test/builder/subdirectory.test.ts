import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchSource, splitSubdirectory } from '../../src/builder/source';
import { runChecked } from '../../src/core/exec';

describe('subdirectory of a source', () => {
  let root: string;
  let repo: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'subdirectory-'));
    repo = path.join(root, 'repo');
    const git = (...args: string[]) =>
      runChecked('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: repo });
    await mkdir(path.join(repo, 'sageattention3_blackwell'), { recursive: true });
    await writeFile(path.join(repo, 'setup.py'), 'print("top")\n');
    await writeFile(path.join(repo, 'sageattention3_blackwell', 'setup.py'), 'PACKAGE_NAME = "sageattn3"\n');
    await git('init', '-q', '-b', 'main');
    await git('add', '.');
    await git('commit', '-qm', 'one');
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it("reads pip's #subdirectory= form and the input, and keeps the folder inside the source", () => {
    expect(
      splitSubdirectory('git+https://github.com/thu-ml/SageAttention.git#subdirectory=sageattention3_blackwell'),
    ).toEqual({
      source: 'https://github.com/thu-ml/SageAttention.git',
      subdirectory: 'sageattention3_blackwell',
    });
    expect(splitSubdirectory('https://x/y.git', 'sub')).toEqual({ source: 'https://x/y.git', subdirectory: 'sub' });
    expect(splitSubdirectory('https://x/y.git#subdirectory=sub', 'sub/')).toEqual({
      source: 'https://x/y.git',
      subdirectory: 'sub/',
    });
    expect(splitSubdirectory('')).toEqual({ source: '', subdirectory: undefined });
    expect(() => splitSubdirectory('https://x/y.git#subdirectory=a', 'b')).toThrow(
      'subdirectory: "b" differs from the source\'s #subdirectory=a. Give the folder in one place',
    );
    for (const bad of ['../up', '/abs', 'a/../../b']) {
      expect(() => splitSubdirectory('.', bad)).toThrow(`subdirectory: "${bad}" leaves the source.`);
    }
  });

  it('builds from the folder of a clone or a local copy, and says when it has no package', async () => {
    const cloned = await fetchSource(
      `file://${repo}`,
      undefined,
      path.join(root, 'clone'),
      undefined,
      'sageattention3_blackwell',
    );
    expect(cloned.dir).toBe(path.join(root, 'clone', 'sageattention3_blackwell'));
    expect(await readFile(path.join(cloned.dir, 'setup.py'), 'utf8')).toContain('sageattn3');
    expect(cloned.label).toMatch(/^file:\/\/.*@[0-9a-f]{40}#subdirectory=sageattention3_blackwell$/);
    const copied = await fetchSource(repo, undefined, path.join(root, 'copy'), undefined, 'sageattention3_blackwell');
    expect(copied.dir).toBe(path.join(root, 'copy', 'sageattention3_blackwell'));
    await expect(fetchSource(repo, undefined, path.join(root, 'none'), undefined, '.git')).rejects.toThrow(
      /^subdirectory: "\.git" of .* has no setup\.py or pyproject\.toml\. Give the folder of the Python package inside the source$/,
    );
  });
});
