import { errorMessage, inputError } from '../core/errors';

/** One object of `include` or `exclude`, as in GitHub's own `strategy.matrix`. */
export type MatrixRule = Readonly<Record<string, unknown>>;

/** The keys of a plan entry; their values are strings (a JSON number 3.10 would read as 3.1). */
export const ENTRY_KEYS = ['python', 'torch', 'cuda', 'platform', 'arch-list', 'version-suffix'] as const;

const EXAMPLE = '[{"torch": "2.7.1", "cuda": "12.8", "python": "3.12", "platform": "windows-x86_64"}]';

export function parseRules(input: 'include' | 'exclude', text: string): MatrixRule[] {
  if (text.trim() === '') return [];
  const allowed = `Allowed: a JSON list of objects, like ${EXAMPLE}`;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw inputError(input, `is not valid JSON (${errorMessage(error).replace(/\s+/g, ' ')})`, allowed);
  }
  const rules = Array.isArray(value) ? value : [value];
  for (const rule of rules) {
    if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) {
      throw inputError(input, `${JSON.stringify(rule)} is not an object`, allowed);
    }
    if (Object.keys(rule).length === 0) throw inputError(input, '{} would match every combination', allowed);
    for (const key of ENTRY_KEYS) {
      const given = (rule as Record<string, unknown>)[key];
      if (key in rule && typeof given !== 'string') {
        throw inputError(
          input,
          `"${key}" is ${JSON.stringify(given)}, not a string`,
          'Quote the values of matrix keys: "3.10", not 3.10 (which JSON reads as 3.1)',
        );
      }
    }
  }
  return rules as MatrixRule[];
}

type Combination = Readonly<Record<string, unknown>>;

/** GitHub's exclude test: every key the rule names has the same value (a partial match). */
const ruleMatches = (rule: MatrixRule, combination: Combination): boolean =>
  Object.entries(rule).every(([key, value]) => key in combination && combination[key] === value);

/** GitHub's exclude: drops every combination some rule matches; `unused` are rules that matched none. */
export function applyExclude<C extends Combination>(
  combinations: readonly C[],
  rules: readonly MatrixRule[],
): { kept: C[]; unused: MatrixRule[] } {
  return {
    kept: combinations.filter((c) => !rules.some((rule) => ruleMatches(rule, c))),
    unused: rules.filter((rule) => !combinations.some((c) => ruleMatches(rule, c))),
  };
}

export interface IncludeHooks<C> {
  /** What a rule adds to a combination it extends (the place to check and normalize values). */
  extend(rule: MatrixRule, target: C): MatrixRule;
  /** A rule that extends no combination, made a combination of its own. */
  create(rule: MatrixRule): C;
}

/**
 * GitHub's include: a rule extends every original combination whose original values (the
 * `dimensions`) it does not overwrite, and may overwrite what earlier rules added; a rule that
 * extends none becomes a new combination, which later rules do not extend.
 */
export function applyInclude<C extends Combination>(
  combinations: readonly C[],
  rules: readonly MatrixRule[],
  dimensions: readonly string[],
  hooks: IncludeHooks<C>,
): C[] {
  const originals = combinations.map((c) => ({ ...c }));
  const added: C[] = [];
  for (const rule of rules) {
    const targets = originals.filter((c) =>
      dimensions.every((key) => !(key in rule) || !(key in c) || rule[key] === c[key]),
    );
    for (const target of targets) Object.assign(target, hooks.extend(rule, target));
    if (targets.length === 0) added.push(hooks.create(rule));
  }
  return [...originals, ...added];
}
