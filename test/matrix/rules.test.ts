import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/core/errors';
import { applyExclude, applyInclude, type MatrixRule, parseRules } from '../../src/matrix/rules';

const cross = (dimensions: Record<string, string[]>): Record<string, string>[] =>
  Object.entries(dimensions).reduce<Record<string, string>[]>(
    (combinations, [key, values]) => combinations.flatMap((c) => values.map((value) => ({ ...c, [key]: value }))),
    [{}],
  );

const plain = {
  extend: (rule: MatrixRule) => rule,
  create: (rule: MatrixRule) => ({ ...rule }) as Record<string, string>,
};

// The examples of GitHub's "Running variations of jobs in a workflow", with the results it documents.
describe("GitHub's matrix keywords", () => {
  it('include: extends combinations it does not contradict, overwrites only added values, else adds new ones', () => {
    const jobs = applyInclude(
      cross({ fruit: ['apple', 'pear'], animal: ['cat', 'dog'] }),
      [
        { color: 'green' },
        { color: 'pink', animal: 'cat' },
        { fruit: 'apple', shape: 'circle' },
        { fruit: 'banana' },
        { fruit: 'banana', animal: 'cat' },
      ],
      ['fruit', 'animal'],
      plain,
    );
    expect(jobs).toEqual([
      { fruit: 'apple', animal: 'cat', color: 'pink', shape: 'circle' },
      { fruit: 'apple', animal: 'dog', color: 'green', shape: 'circle' },
      { fruit: 'pear', animal: 'cat', color: 'pink' },
      { fruit: 'pear', animal: 'dog', color: 'green' },
      { fruit: 'banana' },
      // Not merged into {fruit: banana}: that one was not an original combination.
      { fruit: 'banana', animal: 'cat' },
    ]);
  });

  it('include: whole new combinations next to the original ones (5 perl versions on ubuntu, 2 on macos)', () => {
    const jobs = applyInclude(
      cross({ os: ['ubuntu-latest'], perl: ['5.16', '5.20', '5.26', '5.30', 'latest'] }),
      [
        { os: 'macos-latest', perl: '5.26' },
        { os: 'macos-latest', perl: 'latest' },
      ],
      ['os', 'perl'],
      plain,
    );
    expect(jobs).toHaveLength(7);
    expect(jobs.filter((j) => j.os === 'macos-latest').map((j) => j.perl)).toEqual(['5.26', 'latest']);
  });

  it('exclude: a partial match removes every combination it matches', () => {
    const all = cross({
      os: ['macos-latest', 'windows-latest'],
      version: ['12', '14', '16'],
      environment: ['staging', 'production'],
    });
    const rules = [
      { os: 'macos-latest', version: '12', environment: 'production' },
      { os: 'windows-latest', version: '16' },
      { os: 'linux' },
    ];
    const { kept, unused } = applyExclude(all, rules);
    expect(kept).toHaveLength(9);
    expect(kept).not.toContainEqual({ os: 'macos-latest', version: '12', environment: 'production' });
    expect(kept.some((j) => j.os === 'windows-latest' && j.version === '16')).toBe(false);
    expect(unused).toEqual([{ os: 'linux' }]);
  });

  it('include after exclude can add back what exclude removed', () => {
    const { kept } = applyExclude(cross({ a: ['1', '2'] }), [{ a: '2' }]);
    expect(applyInclude(kept, [{ a: '2', b: 'x' }], ['a'], plain)).toEqual([{ a: '1' }, { a: '2', b: 'x' }]);
  });
});

describe('parseRules', () => {
  it('reads a JSON list of objects, a single object, and nothing', () => {
    expect(parseRules('include', '[{"cuda": "12.8", "runner": ["gpu", 2]}]')).toEqual([
      { cuda: '12.8', runner: ['gpu', 2] },
    ]);
    expect(parseRules('exclude', ' {"python": "3.9"} ')).toEqual([{ python: '3.9' }]);
    expect(parseRules('exclude', '  ')).toEqual([]);
  });

  it('refuses malformed JSON, non-objects, {} and unquoted matrix values, in one line naming the input', () => {
    const cases: [string, RegExp][] = [
      ['[{"cuda": "12.8",}]', /^include: is not valid JSON \(.+\)\. Allowed: a JSON list of objects, like \[\{"torch"/],
      ['["12.8"]', /^include: "12.8" is not an object\. Allowed: a JSON list of objects/],
      ['[{}]', /^include: \{\} would match every combination/],
      [
        '[{"python": 3.10}]',
        /^include: "python" is 3\.1, not a string\. Quote the values of matrix keys: "3\.10", not 3\.10/,
      ],
      ['[{"arch-list": null}]', /^include: "arch-list" is null, not a string/],
    ];
    for (const [text, message] of cases) {
      const error = (() => {
        try {
          parseRules('include', text);
        } catch (e) {
          return e;
        }
      })();
      expect(error, text).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message, text).toMatch(message);
      expect((error as Error).message).not.toContain('\n');
    }
  });
});
