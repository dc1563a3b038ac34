import { statSync } from 'node:fs';
import path from 'node:path';
import { didYouMean } from './did-you-mean';
import { inputError } from './errors';
import { refNameProblem } from './git-ref';
import { readList } from './list';
import { urlSecrets } from './secrets';
import type { InputSpec } from './step';
import { shownUrl, urlProblem } from './url';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;
// eslint-disable-next-line no-control-regex
const CONTROL_BUT_LINES = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;
/** Most file systems' limit on one name (a file, a folder), in bytes. */
export const NAME_MAX = 255;

const MULTILINE_KINDS: readonly InputSpec['kind'][] = ['multiline', 'list', 'objects', 'urls'];
const URL_KINDS: readonly InputSpec['kind'][] = ['url', 'urls'];

/** The secrets in an input's value, to mask before anything is printed: a secret input's value, a URL's password. */
export function secretsOf(input: InputSpec, value: string): string[] {
  return [...(input.secret && value ? [value] : []), ...(URL_KINDS.includes(input.kind) ? urlSecrets(value) : [])];
}

const printable = (value: string): string => JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value);

/**
 * The one check of an input's value by its kind (InputSpec.kind), before anything runs: throws a
 * ConfigurationError naming the input. An empty value, one of the input's keywords or choices,
 * is not checked here (required and choices are the reader's).
 */
export function checkInput(name: string, input: InputSpec, value: string): void {
  if (value === '' || input.keywords?.includes(value) || input.choices?.includes(value)) return;
  const kind = input.kind ?? 'text';
  const shown = input.secret
    ? 'the value given'
    : URL_KINDS.includes(kind)
      ? printable(shownUrl(value))
      : printable(value);
  const multiline = MULTILINE_KINDS.includes(kind);
  const control = (multiline ? CONTROL_BUT_LINES : CONTROL).exec(value)?.[0];
  if (control !== undefined)
    throw inputError(
      name,
      `${shown} holds the control character U+${control.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}`,
      multiline ? 'Give text without control characters (lines may be separated by newlines)' : 'Give one line of text',
    );
  if (input.maxLength !== undefined && value.length > input.maxLength)
    throw inputError(name, `is ${value.length} characters long`, `Allowed: at most ${input.maxLength}`);
  const also = input.keywords?.length ? `, or ${input.keywords.join(', ')}` : '';
  switch (kind) {
    case 'git-ref': {
      const problem = refNameProblem(value);
      if (problem)
        throw inputError(
          name,
          `${shown} ${problem}`,
          "Give a name git takes as a branch or tag (git check-ref-format's rules)",
        );
      return;
    }
    case 'url':
    case 'urls': {
      const schemes = input.schemes ?? ['https', 'http'];
      for (const word of kind === 'urls' ? value.split(/\s+/).filter(Boolean) : [value]) {
        // ccache's remote storage URLs carry |attributes after the URL.
        const url = kind === 'urls' ? word.split('|')[0]! : word;
        const problem =
          kind === 'urls' && url.includes(',')
            ? `${printable(shownUrl(url))} holds a comma; several URLs are separated by spaces`
            : urlProblem(url, schemes);
        if (problem)
          throw inputError(
            name,
            problem,
            `Allowed: ${kind === 'urls' ? 'URLs separated by spaces, each ' : ''}a URL of ${schemes.map((s) => `${s}:`).join(', ')}${also}`,
          );
      }
      return;
    }
    case 'path':
      return checkPath(name, input, value, shown);
    case 'list':
      readList(value, 'lines', name);
      return;
    case 'objects':
      return checkObjects(name, input, value);
  }
}

function checkPath(name: string, input: InputSpec, value: string, shown: string): void {
  const long = value.split(/[\\/]/).find((part) => Buffer.byteLength(part) > NAME_MAX);
  if (long !== undefined)
    throw inputError(
      name,
      `${shown} has a name of ${Buffer.byteLength(long)} bytes`,
      `Allowed: names of at most ${NAME_MAX} bytes`,
    );
  const stat = statSync(path.resolve(value), { throwIfNoEntry: false });
  const want = input.exists;
  if (want === 'dir' && !stat?.isDirectory())
    throw inputError(
      name,
      `${shown} ${stat ? 'is not a folder' : 'does not exist'}`,
      `Give an existing folder${input.keywords?.length ? `, or ${input.keywords.join(', ')}` : ''}`,
    );
  if (want === 'file' && !stat?.isFile())
    throw inputError(name, `${shown} ${stat ? 'is not a file' : 'does not exist'}`, 'Give an existing file');
  if (want === 'dir-or-absent' && stat && !stat.isDirectory())
    throw inputError(name, `${shown} is a file, not a folder`, 'Give a folder, or a path where one may be made');
}

function checkObjects(name: string, input: InputSpec, value: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return; // its step's reader says what is wrong with the JSON
  }
  const known = input.keys ?? [];
  for (const object of Array.isArray(parsed) ? parsed : [parsed]) {
    if (typeof object !== 'object' || object === null) continue;
    for (const key of Object.keys(object)) {
      if (known.includes(key)) continue;
      const guess = didYouMean(key, known);
      // An open object takes new keys, but not one a typo away from a known one.
      if (input.otherKeys && !guess) continue;
      const hint = guess ? `Did you mean ${guess}? ` : '';
      throw inputError(name, `"${key}" is not a key it knows`, `${hint}Keys: ${known.join(', ')}`);
    }
  }
}
