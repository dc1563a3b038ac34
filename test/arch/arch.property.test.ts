import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Arch,
  formatArch,
  formatArchList,
  KNOWN_ARCHS,
  normalizeArchList,
  parseArch,
  parseArchList,
} from '../../src/arch/arch';
import { ConfigurationError } from '../../src/core/errors';

// Every (arch, variant) the parser accepts, found by asking it: the properties below then
// hold for exactly the archs users can write.
const accepted = (token: string): boolean => {
  try {
    parseArch(token);
    return true;
  } catch {
    return false;
  }
};
const validArchs: Arch[] = KNOWN_ARCHS.flatMap((name) =>
  (['', 'a', 'f'] as const)
    .filter((variant) => accepted(`${name}${variant}`))
    .flatMap((variant) => [false, true].map((ptx) => ({ ...parseArch(name), variant, ptx }))),
);

/** The spellings of one arch that users write: 9.0, 90, sm_90, SM90A, sm_9.0, 12.0+ptx. */
const spelling = (arch: Arch): fc.Arbitrary<string> =>
  fc
    .record({
      prefix: fc.constantFrom('', 'sm_', 'sm', 'SM_'),
      dotted: fc.boolean(),
      upper: fc.boolean(),
      ptx: fc.constantFrom('+PTX', '+ptx', '+Ptx'),
    })
    .map(({ prefix, dotted, upper, ptx }) => {
      const number = dotted ? `${arch.major}.${arch.minor}` : `${arch.major}${arch.minor}`;
      const variant = upper ? arch.variant.toUpperCase() : arch.variant;
      return `${prefix}${number}${variant}${arch.ptx ? ptx : ''}`;
    });

const separator = fc.constantFrom(';', ',', ' ', '  ', '\t', '\n', ' ; ', ', ', ';;');

/** A list of valid archs, each in some spelling, joined by a mix of separators. */
const writtenList = fc
  .array(fc.constantFrom(...validArchs), { minLength: 1, maxLength: 8 })
  .chain((archs) =>
    fc.tuple(
      fc.constant(archs),
      fc.tuple(...archs.map(spelling)),
      fc.array(separator, { minLength: archs.length, maxLength: archs.length }),
      separator,
    ),
  )
  .map(([archs, spellings, separators, lead]) => ({
    archs,
    text: lead + spellings.map((s, i) => `${s}${separators[i]}`).join(''),
  }));

/** Raises only ConfigurationError (a user error); anything else escapes and fails the property. */
const userErrorOnly = (parse: () => unknown): boolean => {
  try {
    parse();
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    expect(error.message).not.toContain('\n');
  }
  return true;
};

describe('arch list parser (properties)', () => {
  it('normalization is a fixed point: normalizing a normalized list changes nothing', () => {
    fc.assert(
      fc.property(writtenList, ({ text }) => {
        const once = normalizeArchList(text);
        expect(normalizeArchList(once)).toBe(once);
        expect(parseArchList(once)).toEqual(parseArchList(text));
      }),
    );
  });

  it('keeps every arch written, in any spelling, order or separator, and only those', () => {
    fc.assert(
      fc.property(writtenList, ({ archs, text }) => {
        const parsed = parseArchList(text);
        const key = (a: Arch) => `${a.major}.${a.minor}${a.variant}`;
        expect(new Set(parsed.map(key))).toEqual(new Set(archs.map(key)));
        // +PTX survives when any spelling of that arch asked for it.
        for (const arch of parsed) expect(arch.ptx).toBe(archs.some((a) => key(a) === key(arch) && a.ptx));
        expect(normalizeArchList(text)).toBe(formatArchList(parsed));
      }),
    );
  });

  it('gives the same list whatever the order the archs were written in', () => {
    fc.assert(
      fc.property(writtenList, fc.func(fc.integer()), ({ archs }, rank) => {
        const shuffled = [...archs].sort((a, b) => rank(formatArch(a)) - rank(formatArch(b)));
        expect(normalizeArchList(shuffled.map(formatArch).join(' '))).toBe(
          normalizeArchList(archs.map(formatArch).join(';')),
        );
      }),
    );
  });

  it('writes the ";" form with no separator other than ";" and no duplicates', () => {
    fc.assert(
      fc.property(writtenList, ({ text }) => {
        const tokens = normalizeArchList(text).split(';');
        expect(tokens.every((token) => /^\d{1,2}\.\d[af]?(\+PTX)?$/.test(token))).toBe(true);
        expect(new Set(tokens.map((t) => t.replace('+PTX', ''))).size).toBe(tokens.length);
      }),
    );
  });

  it('never crashes: any string is a list or one ConfigurationError line', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => userErrorOnly(() => parseArchList(text))),
      {
        numRuns: 2000,
      },
    );
    // Near misses of the real grammar crash nothing either.
    const nearMiss = fc
      .array(
        fc.constantFrom(
          'sm_',
          'sm',
          'compute_',
          '1',
          '2',
          '9',
          '0',
          '.',
          '..',
          'a',
          'f',
          'A',
          '+PTX',
          '+',
          'ptx',
          ';',
          ',',
          ' ',
          '-',
          '\u00a0',
          '__proto__',
        ),
        {
          maxLength: 12,
        },
      )
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(nearMiss, (text) => userErrorOnly(() => parseArchList(text))),
      { numRuns: 3000 },
    );
  });

  it('refuses every token outside the grammar or the known archs, naming it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 9 }), (major, minor) => {
        fc.pre(!KNOWN_ARCHS.includes(`${major}.${minor}`));
        expect(() => parseArchList(`8.0;${major}.${minor}`)).toThrow(ConfigurationError);
        expect(() => parseArchList(`8.0;${major}.${minor}`)).toThrow(`"${major}.${minor}"`);
      }),
    );
  });
});
