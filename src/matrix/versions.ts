import { readList } from '../core/list';
import { inputError } from '../core/errors';
import { compareVersions, majorMinor } from '../core/version';
import { comparePythons } from '../torch/releases';

/** A version the user listed ("12.8.1"), or a range ("3.10-3.13") to intersect with the table. */
export type VersionItem = { version: string } | { from: string; to: string };

/** `auto` (everything the table has) or what the user listed. */
export type VersionSelection = 'auto' | readonly VersionItem[];

/** Items separated by commas, semicolons, spaces or newlines. */
export const splitList = (text: string): string[] => readList(text, 'words');

export function parseVersionSelection(input: string, text: string, version: RegExp, example: string): VersionSelection {
  if (text.trim() === 'auto') return 'auto';
  const tokens = splitList(text.replace(/\s*-\s*/g, '-'));
  if (tokens.length === 0) throw inputError(input, 'is empty', `Allowed: auto, or versions and ranges like ${example}`);
  return tokens.map((token) => {
    const [from = '', to, extra] = token.split('-');
    if (extra !== undefined || !version.test(from) || (to !== undefined && !version.test(to))) {
      throw inputError(
        input,
        `"${token}" is not a version or a range`,
        `Allowed: auto, or versions and ranges like ${example}`,
      );
    }
    if (to === undefined) return { version: from };
    if (compareVersions(from, to) > 0)
      throw inputError(input, `the range "${token}" runs backwards`, `Write the lower version first, like ${example}`);
    return { from, to };
  });
}

/** The table versions an item picks; a listed version keeps the form it was given in ("12.8.1"). */
export function pickItem(item: VersionItem, table: readonly string[]): string[] {
  if ('version' in item) return table.includes(majorMinor(item.version)) ? [item.version] : [];
  // A range never picks a free-threaded Python (3.13t): those are asked for one by one.
  return table.filter(
    (v) =>
      !v.endsWith('t') &&
      compareVersions(v, majorMinor(item.from)) >= 0 &&
      compareVersions(v, majorMinor(item.to)) <= 0,
  );
}

/** The versions a selection picks from one table row, one per major.minor, oldest first. */
export function pick(selection: VersionSelection, table: readonly string[]): string[] {
  // auto leaves out free-threaded Pythons (3.13t): a build for one is asked for by name.
  if (selection === 'auto') return table.filter((v) => !v.endsWith('t'));
  const picked = new Map<string, string>();
  for (const item of selection) {
    for (const version of pickItem(item, table)) {
      // A listed "12.8.1" wins over the "12.8" a range also picks.
      if (!picked.has(majorMinor(version)) || 'version' in item) picked.set(majorMinor(version), version);
    }
  }
  return [...picked.values()].sort(comparePythons);
}

export const describeItem = (item: VersionItem): string =>
  'version' in item ? item.version : `${item.from}-${item.to}`;
