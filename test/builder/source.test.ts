import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/core/errors';
import { runChecked } from '../../src/core/exec';
import { fetchSource, isGitUrl } from '../../src/builder/source';

describe('fetchSource', () => {
  let root: string;
  let repo: string;
  let first: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'source-'));
    repo = path.join(root, 'repo');
    const git = (...args: string[]) =>
      runChecked('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: repo });
    await mkdir(repo);
    await git('init', '-q', '-b', 'main');
    await writeFile(path.join(repo, 'setup.py'), 'print("one")\n');
    await git('add', '.');
    await git('commit', '-qm', 'one');
    await git('tag', 'v1');
    first = (await git('rev-parse', 'HEAD')).stdout.trim();
    await writeFile(path.join(repo, 'setup.py'), 'print("two")\n');
    await git('commit', '-qam', 'two');
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('clones a git URL shallowly at a tag, a commit, or the default branch', async () => {
    const url = `file://${repo}`;
    const atTag = await fetchSource(url, 'v1', path.join(root, 'tag'));
    expect(await readFile(path.join(atTag.dir, 'setup.py'), 'utf8')).toBe('print("one")\n');
    expect(atTag.label).toBe(`${url}@${first}`);
    const atCommit = await fetchSource(url, first, path.join(root, 'commit'));
    expect(atCommit.label).toBe(`${url}@${first}`);
    const head = await fetchSource(url, undefined, path.join(root, 'head'));
    expect(await readFile(path.join(head.dir, 'setup.py'), 'utf8')).toBe('print("two")\n');
    const shallow = await runChecked('git', ['rev-parse', '--is-shallow-repository'], { cwd: head.dir });
    expect(shallow.stdout.trim()).toBe('true');
  });

  it('says which ref could not be fetched', async () => {
    const error = await fetchSource(`file://${repo}`, 'no-such-tag', path.join(root, 'bad')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(/^source: cannot fetch ref "no-such-tag" of file:\/\/.*repo: /);
  });

  it('copies a local folder without the outputs of earlier builds', async () => {
    const local = path.join(root, 'local');
    for (const dir of ['build/temp', 'pkg.egg-info', 'dist', 'pkg/build'])
      await mkdir(path.join(local, dir), { recursive: true });
    await writeFile(path.join(local, 'setup.py'), '');
    await writeFile(path.join(local, 'build/temp/kernels.o'), 'stale');
    await writeFile(path.join(local, 'pkg/build/keep.txt'), 'a package folder named build');
    const copy = await fetchSource(local, undefined, path.join(root, 'copy'));
    expect(copy).toEqual({ dir: path.join(root, 'copy'), label: local });
    expect(existsSync(path.join(copy.dir, 'setup.py'))).toBe(true);
    expect(existsSync(path.join(copy.dir, 'pkg/build/keep.txt'))).toBe(true);
    for (const stale of ['build', 'pkg.egg-info', 'dist']) expect(existsSync(path.join(copy.dir, stale))).toBe(false);
  });

  it('refuses a ref with a local folder, a missing folder, and a folder that is no package', async () => {
    await expect(fetchSource(repo, 'v1', path.join(root, 'x'))).rejects.toThrow(
      'ref: "v1" was given with a local source',
    );
    await expect(fetchSource(path.join(root, 'nope'), undefined, path.join(root, 'y'))).rejects.toThrow(
      /^source: ".*nope" is neither a git URL nor a folder/,
    );
    await mkdir(path.join(root, 'empty'));
    await expect(fetchSource(path.join(root, 'empty'), undefined, path.join(root, 'z'))).rejects.toThrow(
      /has no setup.py or pyproject.toml/,
    );
  });

  it('tells git URLs from paths', () => {
    for (const url of [
      'https://github.com/thu-ml/SageAttention.git',
      'git@github.com:a/b.git',
      'ssh://git@h/x',
      'file:///srv/x',
    ])
      expect(isGitUrl(url)).toBe(true);
    for (const p of ['./SageAttention', '/work/src', 'C:\\src\\pkg', 'pkg']) expect(isGitUrl(p)).toBe(false);
  });
});
