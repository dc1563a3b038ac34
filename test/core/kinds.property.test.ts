import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseArchList } from '../../src/arch/arch';
import { ConfigurationError } from '../../src/core/errors';
import { readList } from '../../src/core/list';
import { Inputs, type InputSpec, type Step } from '../../src/core/step';
import { PIPELINE, STEPS } from '../../src/registry';
import { step as publish } from '../../src/steps/publish';
import { parseTorchVersions } from '../../src/torch/select';

// Values for the required inputs of each step, so that only the input under test can be refused.
const REQUIRED: Record<string, string> = {
  wheels: 'dist/*.whl',
  'arch-list': '9.0',
  'torch-versions': '2.7',
  'cuda-version': '12.8',
};
const required = (step: Step) =>
  Object.fromEntries(Object.entries(REQUIRED).filter(([name]) => name in step.spec.inputs));

const refused = (step: Step, name: string, value: string): ConfigurationError | undefined => {
  try {
    new Inputs(step.spec, { ...required(step), [name]: value }, {});
    return undefined;
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    return error;
  }
};

/** git itself, on the name as a tag. */
const gitTakes = (name: string): boolean =>
  spawnSync('git', ['check-ref-format', `refs/tags/${name}`], { stdio: 'ignore' }).status === 0;

// Characters git's rules are about, and some it takes: names made of them hit every rule often.
const REF_CHARS = [
  'a',
  'b',
  '1',
  '.',
  '/',
  '@',
  '{',
  '}',
  '~',
  '^',
  ':',
  '?',
  '*',
  '[',
  '\\',
  ' ',
  '\t',
  '\n',
  '\x7f',
  '\x01',
  '-',
  '_',
  'l',
  'o',
  'c',
  'k',
  'é',
];

describe('git ref names (tag, ref, skip-published, hf-revision)', () => {
  it('are accepted exactly when git check-ref-format accepts them', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...REF_CHARS), minLength: 1, maxLength: 10 }), (name) => {
        // The reader trims what it is given, as the runner does.
        const trimmed = name.trim();
        fc.pre(trimmed !== '');
        const error = refused(publish, 'tag', name);
        expect(error === undefined, `${JSON.stringify(trimmed)}: ${error?.message}`).toBe(gitTakes(trimmed));
        if (error) expect(error.message).toMatch(/^tag: /);
      }),
      { numRuns: 200 },
    );
  });
});

/** Every input that takes one line of text, of every step and the pipeline. */
const ONE_LINE = [...STEPS, PIPELINE].flatMap((step: Step) =>
  Object.entries<InputSpec>(step.spec.inputs)
    .filter(([, input]) => !['multiline', 'list', 'objects', 'urls'].includes(input.kind ?? 'text'))
    .map(([name]) => ({ step, name })),
);
const MULTILINE = [...STEPS, PIPELINE].flatMap((step: Step) =>
  Object.entries<InputSpec>(step.spec.inputs)
    .filter(([, input]) => ['multiline', 'list', 'objects', 'urls'].includes(input.kind ?? 'text'))
    .map(([name]) => ({ step, name })),
);
const CONTROL = [...Array(32).keys(), 0x7f].map((code) => String.fromCharCode(code));
const word = fc.stringMatching(/^[a-z0-9]{1,6}$/);

describe('control characters', () => {
  it('every one-line input refuses every control character, naming the input', () => {
    fc.assert(
      fc.property(fc.nat(ONE_LINE.length - 1), fc.constantFrom(...CONTROL), word, word, (i, control, before, after) => {
        const { step, name } = ONE_LINE[i]!;
        const error = refused(step, name, `${before}${control}${after}`);
        expect(error?.message, `${step.spec.name} ${name}`).toMatch(new RegExp(`^${name}: `));
      }),
      { numRuns: 500 },
    );
  });

  it('inputs of several lines refuse every control character but newline, carriage return and tab', () => {
    fc.assert(
      fc.property(
        fc.nat(MULTILINE.length - 1),
        fc.constantFrom(...CONTROL.filter((c) => !'\n\r\t'.includes(c))),
        (i, control) => {
          const { step, name } = MULTILINE[i]!;
          expect(refused(step, name, `a${control}b`)?.message).toMatch(new RegExp(`^${name}: `));
        },
      ),
      { numRuns: 200 },
    );
  });
});

/** A list in each documented form. */
const FORMS = {
  comma: (items: string[]) => items.join(', '),
  newline: (items: string[]) => items.join('\n'),
  json: (items: string[]) => JSON.stringify(items),
};
// Items as users write them: no separator inside, not blank (readList trims and drops blanks in every form).
const item = fc
  .string({
    unit: fc.constantFrom('a', 'Z', '0', '.', '-', '_', '*', '[', ']', '/', '+', ' '),
    minLength: 1,
    maxLength: 8,
  })
  .map((s) => s.trim())
  .filter((s) => s !== '');

const parsesAsJsonList = (text: string): boolean => {
  try {
    return Array.isArray(JSON.parse(text.trim()));
  } catch {
    return false;
  }
};

describe('lists', () => {
  it('take a text that parses as a JSON list for one, before splitting it', () => {
    expect(readList('[\n]', 'lines')).toEqual([]);
    expect(readList('[0-9]*.whl', 'lines')).toEqual(['[0-9]*.whl']);
  });

  it('read back what was written, in the comma, newline and JSON forms', () => {
    fc.assert(
      fc.property(
        fc.array(item, { minLength: 1, maxLength: 5 }),
        fc.constantFrom(...Object.values(FORMS)),
        (items, write) => {
          const text = write(items);
          // The documented precedence: a text that parses as a JSON list is one ("[" and "]" one per line is []).
          fc.pre(write === FORMS.json || !parsesAsJsonList(text));
          expect(readList(text, 'lines')).toEqual(items);
        },
      ),
      { numRuns: 500 },
    );
  });

  const torchItem = fc.oneof(
    fc
      .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 15 }))
      .map(([a, b]) => `${a}.${b === 1 ? 0 : b}`),
    fc.integer({ min: 1, max: 5 }).map((n) => `latest-${n}`),
    fc.tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 10, max: 15 })).map(([a, b]) => `2.${a}-2.${b}`),
  );
  it('torch-versions and arch lists mean the same in every form', () => {
    fc.assert(
      fc.property(fc.array(torchItem, { minLength: 1, maxLength: 4 }), (items) => {
        expect(parseTorchVersions(FORMS.json(items))).toEqual(parseTorchVersions(FORMS.comma(items)));
        expect(parseTorchVersions(FORMS.newline(items))).toEqual(parseTorchVersions(FORMS.comma(items)));
      }),
    );
    fc.assert(
      fc.property(fc.subarray(['8.0', '8.6', '8.9', '9.0', '9.0a', '12.0', '12.0+PTX'], { minLength: 1 }), (archs) => {
        expect(parseArchList(FORMS.json(archs))).toEqual(parseArchList(archs.join(';')));
      }),
    );
  });
});
