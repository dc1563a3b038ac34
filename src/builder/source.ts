import { existsSync } from 'node:fs';
import { cp, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError, inputError } from '../core/errors';
import { runChecked, runProcess, type ProcessRunner } from '../core/exec';

export interface Source {
  dir: string;
  /** What was built, for the log and summary: "<url>@<commit>" or the local path. */
  label: string;
}

const GIT_URL = /^(?:git\+)?(?:https?:\/\/|ssh:\/\/|git:\/\/|file:\/\/|[\w.-]+@[\w.-]+:)/;
export const isGitUrl = (source: string): boolean => GIT_URL.test(source);

/**
 * pip's `git+https://...#subdirectory=sub` form split into the source and its folder; the
 * `subdirectory` input wins over neither: giving both, different, is refused. The folder must
 * stay inside the source.
 */
const folder = (text: string): string => path.posix.normalize(text.replaceAll('\\', '/')).replace(/\/+$/, '');

export function splitSubdirectory(source: string, input?: string): { source: string; subdirectory?: string } {
  const hash = source.indexOf('#');
  const fragment =
    hash >= 0 ? (new URLSearchParams(source.slice(hash + 1)).get('subdirectory') ?? undefined) : undefined;
  const bare = (hash >= 0 ? source.slice(0, hash) : source).replace(/^git\+/, '');
  const given = input?.trim() || undefined;
  if (fragment && given && folder(fragment) !== folder(given)) {
    throw inputError(
      'subdirectory',
      `"${given}" differs from the source's #subdirectory=${fragment}`,
      'Give the folder in one place',
    );
  }
  const subdirectory = given ?? fragment;
  if (subdirectory !== undefined) {
    const normal = path.posix.normalize(subdirectory.replaceAll('\\', '/'));
    if (path.posix.isAbsolute(normal) || normal === '..' || normal.startsWith('../')) {
      throw inputError(
        'subdirectory',
        `"${subdirectory}" leaves the source`,
        'Give a folder inside it, like sageattention3_blackwell',
      );
    }
  }
  return { source: bare, subdirectory };
}

/** Outputs of earlier builds in a local tree; a fresh build must not pick them up. */
const STALE = new Set(['build', 'dist', 'wheelhouse', '__pycache__', '.eggs']);
const isStale = (name: string): boolean => STALE.has(name) || name.endsWith('.egg-info');

/**
 * The source in `dest`, fresh: a git URL shallow-cloned at `ref` (a branch, tag or commit), or a
 * local folder copied without earlier build outputs (whose objects setuptools would reuse).
 */
export async function fetchSource(
  source: string,
  ref: string | undefined,
  dest: string,
  runner: ProcessRunner = runProcess,
  subdirectory?: string,
  { submodules = true }: { submodules?: boolean } = {},
): Promise<Source> {
  const whole = await fetchTree(source, ref, dest, runner, subdirectory, submodules);
  if (!subdirectory) return whole;
  const dir = path.join(whole.dir, subdirectory);
  if (!existsSync(path.join(dir, 'setup.py')) && !existsSync(path.join(dir, 'pyproject.toml'))) {
    throw inputError(
      'subdirectory',
      `"${subdirectory}" of ${whole.label} has no setup.py or pyproject.toml`,
      'Give the folder of the Python package inside the source',
    );
  }
  return { dir, label: `${whole.label}#subdirectory=${subdirectory}` };
}

/** A source that is not a git URL: an existing folder, and no ref (a ref names a commit of a repository). */
export async function localSourceDir(source: string, ref: string | undefined): Promise<string> {
  if (ref)
    throw inputError(
      'ref',
      `"${ref}" was given with a local source`,
      'ref applies to git URLs; check the folder out at that ref instead',
    );
  const dir = path.resolve(source);
  if (!(await stat(dir).catch(() => undefined))?.isDirectory())
    throw inputError(
      'source',
      `"${source}" is neither a git URL nor a folder`,
      'Give https://... or a path to the package',
    );
  return dir;
}

async function fetchTree(
  source: string,
  ref: string | undefined,
  dest: string,
  runner: ProcessRunner,
  subdirectory: string | undefined,
  submodules: boolean,
): Promise<Source> {
  if (isGitUrl(source)) return cloneSource(source.replace(/^git\+/, ''), ref, dest, runner, submodules);
  const dir = await localSourceDir(source, ref);
  if (!subdirectory && !existsSync(path.join(dir, 'setup.py')) && !existsSync(path.join(dir, 'pyproject.toml'))) {
    throw inputError(
      'source',
      `"${source}" has no setup.py or pyproject.toml`,
      'Give the folder of the Python package',
    );
  }
  await cp(dir, dest, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (from) => path.dirname(from) !== dir || !isStale(path.basename(from)),
  });
  return { dir: dest, label: dir };
}

async function cloneSource(
  url: string,
  ref: string | undefined,
  dest: string,
  runner: ProcessRunner,
  submodules: boolean,
): Promise<Source> {
  // Never wait for a password prompt on a runner.
  const env = { ...process.env, GIT_TERMINAL_PROMPT: '0' };
  const git = (args: string[]) => runChecked('git', args, { env, cwd: dest }, runner);
  await runChecked('git', ['init', '-q', dest], { env }, runner);
  await git(['remote', 'add', 'origin', url]);
  const fetched = await runner('git', ['fetch', '-q', '--depth', '1', 'origin', ref || 'HEAD'], { env, cwd: dest });
  if (fetched.code !== 0) {
    const why = fetched.stderr.trim().split('\n').pop() ?? '';
    throw new ConfigurationError(`source: cannot fetch ${ref ? `ref "${ref}" of ` : ''}${url}: ${why}`);
  }
  await git(['-c', 'advice.detachedHead=false', 'checkout', '-q', 'FETCH_HEAD']);
  if (submodules && existsSync(path.join(dest, '.gitmodules'))) {
    await git(['submodule', 'update', '-q', '--init', '--recursive', '--depth', '1']);
  }
  const commit = (await git(['rev-parse', 'HEAD'])).stdout.trim();
  return { dir: dest, label: `${url}@${commit}` };
}
