import { inputError } from './errors';

/**
 * How a list input separates its items: `lines` by newline or comma (paths, globs, names: items may
 * hold spaces); `words` also by spaces and semicolons (versions, archs, platforms).
 */
export type ListSeparators = 'lines' | 'words';

/**
 * The one reader of list inputs. A JSON list of strings or numbers (a step's output such as
 * build's `wheels`, or `fromJSON` in a workflow) is taken as it is; otherwise items are split,
 * trimmed, and blanks dropped. `input` names the input in the error for broken JSON.
 */
export function readList(text: string, separators: ListSeparators = 'lines', input = 'list'): string[] {
  const trimmed = text.trim();
  // A glob such as [ab]*.whl also starts with "[": only ["..., [1... or [] is read as JSON.
  if (/^\[\s*(["\]\d]|$)/.test(trimmed)) {
    let list: unknown;
    try {
      list = JSON.parse(trimmed);
    } catch {
      // refused below
    }
    if (!Array.isArray(list) || !list.every((item) => typeof item === 'string' || typeof item === 'number'))
      throw inputError(
        input,
        `${trimmed.slice(0, 80)} is not a JSON list of strings`,
        'Give a JSON list, or items one per line or comma-separated',
      );
    return list.map((item) => String(item).trim()).filter((item) => item !== '');
  }
  return trimmed
    .split(separators === 'lines' ? /[\n,]/ : /[\s,;]+/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
