import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';

/** "a/b/c" -> ["a", "a/b"] */
export const ancestors = (rel: string): string[] =>
  rel
    .split('/')
    .slice(0, -1)
    .map((_, i, parts) => parts.slice(0, i + 1).join('/'));

/** True when a relative name, taken lexically, leaves the folder it is relative to. */
export function escapes(name: string): boolean {
  const normal = path.posix.normalize(name);
  return name.includes('\0') || path.posix.isAbsolute(name) || normal === '..' || normal.startsWith('../');
}

const MAX_HOPS = 40;

/**
 * Where a path below `root` leads, following every symlink on the way as the system would, and
 * taking missing parts lexically (a dangling link is judged by where it would point). Returns the
 * parts below root, or undefined when the path leaves root at any step, or loops.
 */
export async function resolveBelow(root: string, rel: string): Promise<string[] | undefined> {
  const parts: string[] = [];
  const queue = rel.split('/');
  let hops = 0;
  while (queue.length > 0) {
    const part = queue.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) return undefined;
      parts.pop();
      continue;
    }
    parts.push(part);
    const info = await lstat(path.join(root, ...parts)).catch(() => undefined);
    if (!info?.isSymbolicLink()) continue;
    if (++hops > MAX_HOPS) return undefined;
    const target = await readlink(path.join(root, ...parts));
    if (path.isAbsolute(target) || path.posix.isAbsolute(target)) return undefined;
    parts.pop();
    queue.unshift(...target.split(/[\\/]/));
  }
  return parts;
}

/**
 * Every symlink below `root` must resolve inside it, through every link on its way: a link that
 * stays inside only lexically (`up -> here/..` with `here -> .`) or points one level above the
 * folder that is merged into the toolkit is refused.
 */
export async function checkLinksInside(root: string, label = 'the extraction folder'): Promise<void> {
  const walk = async (rel: string): Promise<void> => {
    for (const item of await readdir(path.join(root, rel), { withFileTypes: true })) {
      const itemRel = rel ? `${rel}/${item.name}` : item.name;
      if (item.isDirectory()) await walk(itemRel);
      else if (item.isSymbolicLink() && (await resolveBelow(root, itemRel)) === undefined) {
        const target = await readlink(path.join(root, itemRel));
        throw new Error(`symlink "${itemRel}" -> "${target}" resolves outside ${label}`);
      }
    }
  };
  await walk('');
}
