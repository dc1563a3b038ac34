import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main';
import { consoleContext } from '../../src/core/console';
import { errorMessage } from '../../src/core/errors';
import { forgetSecrets, mask, quoteBody } from '../../src/core/secrets';
import { Inputs, type InputSpec, type Step } from '../../src/core/step';
import { summaryMarkdown, summaryText } from '../../src/core/summary';
import { PIPELINE, STEPS } from '../../src/registry';

// Values for the required inputs of each step, so that only the input under test can be refused.
const REQUIRED: Record<string, string> = {
  wheels: 'dist/*.whl',
  'arch-list': '9.0',
  'torch-versions': '2.7',
  'cuda-version': '12.8',
};

/** The inputs that take URLs, by name (the list). */
const URL_NAMES = [
  'compile-cache-url',
  'hf-endpoint',
  'github-api-url',
  'torch-mirror-url',
  'torch-index-url',
  'mirror-url',
];
/** Every URL input of every step (and of the pipeline), with the schemes it takes. */
const URL_INPUTS = [...STEPS, PIPELINE].flatMap((step: Step) =>
  Object.entries<InputSpec>(step.spec.inputs)
    .filter(([name]) => URL_NAMES.includes(name))
    .map(([name, input]) => ({ step, name, schemes: input.schemes ?? ['https', 'http'] })),
);
// By index, so that a counterexample reads as a number rather than a whole step.
const anyUrlInput = fc.nat(URL_INPUTS.length - 1).map((i) => URL_INPUTS[i]!);

const PRINTABLE = [...Array(0x7e - 0x20)].map((_, i) => String.fromCharCode(0x21 + i));
const password = (minLength: number, maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...PRINTABLE), minLength, maxLength });
const user = fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/);

/** The ways a URL with a password is written, well-formed or not. */
const FORMS = [
  (s: string, u: string, p: string) => `${s}://${u}:${p}@cache.example.com:6379/0`,
  (s: string, u: string, p: string) => `${s}://:${p}@cache.example.com/path`,
  (s: string, u: string, p: string) => `${s}:/${u}:${p}@cache.example.com`,
  (s: string, u: string, p: string) => `${s}:${u}:${p}@cache.example.com`,
  (s: string, u: string, p: string) => `${s}://${u}:${p}@`,
];

/** Everything a person may see of a URL input: the error of reading it, log lines, a summary, an error quoting it. */
function printed(step: Step, name: string, url: string): string {
  let text = '';
  try {
    new Inputs(step.spec, { ...pick(step, REQUIRED), [name]: url }, {});
  } catch (error) {
    text += errorMessage(error);
  }
  const ctx = consoleContext({ write: (t) => void (text += t) });
  ctx.log.info(`${name}: ${url}`);
  ctx.log.warning(`CCACHE_REMOTE_STORAGE=${url}`);
  const blocks = [
    { kind: 'text' as const, text: url },
    { kind: 'table' as const, header: ['store'], rows: [[url]] },
    { kind: 'details' as const, label: 'End of the build log', body: `env: CCACHE_REMOTE_STORAGE=${url}\n` },
  ];
  text += summaryText(blocks) + summaryMarkdown(blocks) + errorMessage(new Error(`could not reach ${url}`));
  return text;
}

const pick = (step: Step, values: Record<string, string>) =>
  Object.fromEntries(Object.entries(values).filter(([name]) => name in step.spec.inputs));

describe('secrets in URL inputs', () => {
  beforeEach(() => forgetSecrets());

  it('every URL input is declared one, so its password is masked when it is read', () => {
    expect(URL_INPUTS.length).toBeGreaterThanOrEqual(12);
    for (const { step, name } of URL_INPUTS)
      expect([step.spec.name, step.spec.inputs[name]?.kind]).toEqual([
        step.spec.name,
        name === 'compile-cache-url' ? 'urls' : 'url',
      ]);
  });

  it('a password of any printable characters, in any URL input, well-formed or not, is never printed', () => {
    fc.assert(
      fc.property(
        anyUrlInput,
        fc.constantFrom(...FORMS),
        user,
        password(8, 24),
        ({ step, name, schemes }, form, u, p) => {
          forgetSecrets();
          const url = form(schemes[0]!, u, p);
          expect(printed(step, name, url)).not.toContain(p);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('a short password is masked where it stands in a URL, and no single letter elsewhere is', () => {
    fc.assert(
      fc.property(anyUrlInput, user, password(1, 3), ({ step, name, schemes }, u, p) => {
        forgetSecrets();
        const url = `${schemes[0]}://${u}:${p}@cache.example.com/x`;
        const text = printed(step, name, url);
        expect(text).not.toContain(`:${p}@`);
        expect(mask('a plain sentence of the log')).toBe('a plain sentence of the log');
      }),
      { numRuns: 200 },
    );
  });

  it('the CLI prints no password of a malformed URL it refuses, in any URL input of any step', async () => {
    await fc.assert(
      fc.asyncProperty(anyUrlInput, user, password(8, 24), async ({ step, name, schemes }, u, p) => {
        forgetSecrets();
        let out = '';
        const scheme = schemes.find((s) => s !== 'file') ?? 'http';
        const code = await runCli(
          [
            step.spec.name,
            ...Object.entries(pick(step, REQUIRED)).flat().map(flag),
            `--${name}`,
            `${scheme}:/${u}:${p}@host`,
          ],
          [step],
          { out: (t) => void (out += t), err: (t) => void (out += t), env: {} },
        );
        expect(code).toBe(1);
        expect(out).toMatch(new RegExp(`^error: ${name}: `));
        expect(out).not.toContain(p);
      }),
      { numRuns: 60 },
    );
  });
});

const flag = (word: string, i: number) => (i % 2 === 0 ? `--${word}` : word);

describe('mask and quoteBody', () => {
  beforeEach(() => forgetSecrets());

  it('scrubs what a server echoes of credentials, and cuts the body', () => {
    const body =
      '{"error": "bad credentials", "headers": {"Authorization": "Bearer hf_AbCdEfGhIjKlMnOpQrStUv"}, "token": "s3cr3t-value"}' +
      ' Authorization: token ghp_0123456789abcdefABCDEF0123456789abcd github_pat_11ABCDEFG0123456789_abcdefghij ' +
      'x'.repeat(1000);
    const quoted = quoteBody(body);
    for (const secret of ['hf_AbCdEfGhIjKlMnOpQrStUv', 's3cr3t-value', 'ghp_0123456789abcdef', 'github_pat_11ABCDEFG'])
      expect(quoted).not.toContain(secret);
    expect(quoted.length).toBeLessThanOrEqual(303);
    expect(quoted).toContain('bad credentials');
  });

  it('leaves the words of its own messages alone', () => {
    const line = 'token: is empty. Give a token that may write releases (contents: write); Bearer of bad news';
    expect(mask(line)).toBe(line);
  });
});
