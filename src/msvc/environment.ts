import type { Env } from '../core/context';

/** Windows variable names ignore case: keyed by the upper-cased name, with the name as written. */
export type EnvMap = Map<string, { name: string; value: string }>;

/** Lines of cmd's `set`: NAME=value, split at the first `=` only, since values hold `=` too. */
export function parseSet(lines: readonly string[]): EnvMap {
  const env: EnvMap = new Map();
  for (const line of lines) {
    // From 1: a name never starts with `=`, except cmd's hidden per-drive folders (=C:=C:\work).
    const eq = line.indexOf('=', 1);
    if (eq < 0 || line.startsWith('=')) continue;
    const name = line.slice(0, eq);
    env.set(name.toUpperCase(), { name, value: line.slice(eq + 1) });
  }
  return env;
}

/** Variables vcvarsall prepends `;`-separated folders to. */
const FOLDER_LISTS = new Set(['PATH', 'INCLUDE', 'EXTERNAL_INCLUDE', 'LIB', 'LIBPATH']);

const folderKey = (folder: string): string => folder.toLowerCase().replace(/[\\/]+$/, '');

/** Folders in order, blanks and repeats dropped; a repeat differs from the first only in case or a trailing `\`. */
export function uniqueFolders(folders: readonly string[]): string[] {
  const seen = new Set<string>();
  return folders.filter((folder) => {
    const key = folderKey(folder);
    if (key === '' || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const split = (list: string | undefined): string[] => (list ?? '').split(';');

/** The environment a job's later steps need to see vcvarsall's: variables to set and folders to put on PATH. */
export interface EnvChanges {
  set: Record<string, string>;
  /** New PATH folders, in the order they must come first in PATH. */
  path: string[];
}

/** `name` in an environment whose keys may differ in case from it (Node's is case-insensitive on Windows only). */
export function lookup(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const key = Object.keys(env).find((k) => k.toUpperCase() === name.toUpperCase());
  return key === undefined ? undefined : env[key];
}

/**
 * What vcvarsall changed. A folder list keeps only the folders that are new and puts them before the
 * value this process already has: cmd writes `set` in the console code page, so a value read back
 * from it may have lost characters, and only vcvarsall's own folders are taken from it. PATH is
 * given as folders to prepend, so that the runner keeps each once (a PATH exported whole would
 * repeat every folder another step added through GITHUB_PATH).
 */
export function environmentChanges(before: EnvMap, after: EnvMap, current: NodeJS.ProcessEnv): EnvChanges {
  const changes: EnvChanges = { set: {}, path: [] };
  for (const [key, { name, value }] of after) {
    const old = before.get(key)?.value;
    if (old === value) continue;
    if (!FOLDER_LISTS.has(key)) {
      changes.set[name] = value;
      continue;
    }
    const known = new Set(split(old).map(folderKey));
    const added = uniqueFolders(split(value).filter((folder) => !known.has(folderKey(folder))));
    if (added.length === 0) continue;
    if (key === 'PATH') changes.path = added;
    else changes.set[name] = uniqueFolders([...added, ...split(lookup(current, name))]).join(';');
  }
  return changes;
}

/** Exports the changes for this process and the job's later steps. */
export function applyEnvChanges(changes: EnvChanges, env: Env): void {
  for (const [name, value] of Object.entries(changes.set)) env.set(name, value);
  // addPath prepends, so the last folder goes first to leave them in vcvarsall's order.
  for (const folder of [...changes.path].reverse()) env.addPath(folder);
}
