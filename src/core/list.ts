import { inputError } from './errors';

/**
 * How a list input separates its items: `lines` by newline or comma (paths, globs, names: items may
 * hold spaces); `words` also by spaces and semicolons (versions, archs, platforms).
 */
export type ListSeparators = 'lines' | 'words';

/**
 * The one reader of list inputs. A JSON list of strings or numbers (a step's output such as
 * build's `wheels`, or `fromJSON` in a workflow) is taken as it is; otherwise items are split.
 * In every form items are trimmed and blanks dropped. `input` names the input in the error for
 * broken JSON.
 */
export function readList(text: string, separators: ListSeparators = 'lines', input = 'list'): string[] {
  const trimmed = text.trim();
  let list: unknown;
  // A glob such as [ab]*.whl or [0-9]*.whl also starts with "[": JSON is what parses as JSON, or
  // what starts like a list of strings (["...) and is refused when it does not parse.
  if (trimmed.startsWith('[') && trimmed.endsWith(']')) {
    try {
      list = JSON.parse(trimmed);
    } catch {
      // a glob, or broken JSON: told apart below
    }
  }
  if (list !== undefined || /^\[\s*"/.test(trimmed)) {
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
