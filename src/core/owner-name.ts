import { inputError } from './errors';

// GitHub's rules: an owner of letters, digits and single hyphens inside (39 at most); a repository
// of letters, digits, - _ . (100 at most), not . or ..
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
const NAME = /^(?!\.\.?$)[A-Za-z0-9._-]{1,100}$/;

/** A GitHub owner/name, read from `source` (an input, or a variable such as GITHUB_REPOSITORY). */
export function readOwnerName(value: string, source: string): [owner: string, name: string] {
  const parts = value.split('/');
  if (parts.length !== 2 || !OWNER.test(parts[0]!) || !NAME.test(parts[1]!))
    throw inputError(
      source,
      `${JSON.stringify(value)} is not owner/name`,
      'Give the repository as owner/name (owner: letters, digits, -; name: letters, digits, - _ .), e.g. thu-ml/SageAttention',
    );
  return [parts[0]!, parts[1]!];
}
