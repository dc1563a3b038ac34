import { glob, stat } from 'node:fs/promises';
import path from 'node:path';
import { inputError } from '../core/errors';

/**
 * The `wheels` input of verify and publish (read by readList): each item a .whl file, a folder
 * (its *.whl), or a glob (the .whl files it matches), relative to `cwd`. Sorted, each file once.
 */
export async function wheelFiles(items: readonly string[], cwd: string): Promise<string[]> {
  const allowed = 'Give wheel files, a folder of them, or a glob like dist/*.whl';
  if (items.length === 0) throw inputError('wheels', 'names no file', allowed);
  const found = new Set<string>();
  for (const item of items) {
    const matches: string[] = [];
    if (/[*?[{]/.test(item)) {
      for await (const match of glob(item, { cwd })) {
        const full = path.resolve(cwd, match);
        if (match.endsWith('.whl') && (await stat(full)).isFile()) matches.push(full);
      }
    } else {
      const full = path.resolve(cwd, item);
      const info = await stat(full).catch(() => undefined);
      if (info?.isDirectory()) {
        for await (const match of glob('*.whl', { cwd: full }))
          if ((await stat(path.join(full, match))).isFile()) matches.push(path.join(full, match));
      } else if (info?.isFile()) {
        if (!item.endsWith('.whl')) throw inputError('wheels', `"${item}" is not a .whl file`, allowed);
        matches.push(full);
      }
    }
    if (matches.length === 0) throw inputError('wheels', `"${item}" matches no wheel file`, allowed);
    for (const match of matches) found.add(match);
  }
  return [...found].sort();
}
