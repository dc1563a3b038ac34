import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/core/errors';
import { defineStep, Inputs, WORKFLOW_TOKEN } from '../../src/core/step';
import { summaryMarkdown, summaryText } from '../../src/core/summary';

const spec = defineStep({
  spec: {
    name: 'demo',
    title: 'Demo',
    description: 'a step for tests',
    inputs: {
      mode: { description: 'how', default: 'auto', choices: ['auto', 'manual'] },
      needed: { description: 'must be there', required: true },
      flag: { description: 'on or off', default: 'false' },
      items: { description: 'a list', kind: 'list' },
      count: { description: 'a number', default: '2' },
    },
    outputs: { done: { description: 'yes' } },
  },
  run: async () => ({ done: 'yes' }),
}).spec;

describe('Inputs', () => {
  it('applies defaults to empty and missing inputs, and trims', () => {
    const inputs = new Inputs(spec, { needed: '  x  ', mode: '' });
    expect(inputs.string('mode')).toBe('auto');
    expect(inputs.string('needed')).toBe('x');
    expect(inputs.boolean('flag')).toBe(false);
    expect(inputs.integer('count')).toBe(2);
    expect(inputs.optional('items')).toBeUndefined();
  });

  it('refuses a value outside the choices, naming the input and what is allowed', () => {
    expect(() => new Inputs(spec, { needed: 'x', mode: 'fast' })).toThrow(
      new ConfigurationError('mode: "fast" is not allowed. Allowed: auto, manual'),
    );
  });

  it('refuses a missing required input and an unknown one', () => {
    expect(() => new Inputs(spec, {})).toThrow(/^needed: is required/);
    expect(() => new Inputs(spec, { needed: 'x', nedded: 'y' })).toThrow(/nedded: is not an input of demo/);
  });

  it('reads booleans, lists and integers strictly', () => {
    const inputs = new Inputs(spec, { needed: 'x', flag: 'TRUE', items: 'a, b\n\nc,', count: '-1' });
    expect(inputs.boolean('flag')).toBe(true);
    expect(inputs.list('items')).toEqual(['a', 'b', 'c']);
    expect(() => inputs.integer('count')).toThrow(/count: "-1" is not a whole number/);
    expect(() => new Inputs(spec, { needed: 'x', flag: 'yes' }).boolean('flag')).toThrow(
      /flag: "yes" is not a boolean/,
    );
  });
});

describe('typed inputs, checked when the inputs are read in', () => {
  it('refuses a bad boolean (a default of true or false makes one) or integer at once', () => {
    expect(() => new Inputs(spec, { needed: 'x', flag: 'maybe' })).toThrow(
      new ConfigurationError('flag: "maybe" is not a boolean. Allowed: true, false'),
    );
    const typed = {
      ...spec,
      inputs: { ...spec.inputs, count: { description: 'n', default: '2', type: 'integer' as const, min: 1 } },
    };
    expect(() => new Inputs(typed, { needed: 'x', count: '0' })).toThrow(
      new ConfigurationError('count: "0" is not a whole number. Allowed: a whole number >= 1'),
    );
    expect(new Inputs(typed, { needed: 'x', count: '3' }).integer('count')).toBe(3);
  });

  it('lets an input that an earlier step will give count as given, and read as empty', () => {
    const inputs = new Inputs(spec, { needed: 'whatever' }, {}, ['needed']);
    expect(inputs.string('needed')).toBe('');
    expect(() => new Inputs(spec, {}, {}, ['needed'])).not.toThrow();
  });
});

describe('summary', () => {
  const blocks = [
    { kind: 'heading' as const, text: 'Result' },
    { kind: 'table' as const, header: ['a', 'bb'], rows: [['x|y', 'z']] },
  ];
  it('renders Markdown with escaped cells', () => {
    expect(summaryMarkdown(blocks)).toBe('### Result\n\n| a | bb |\n| --- | --- |\n| x\\|y | z |\n');
  });
  it('renders aligned text for a terminal', () => {
    expect(summaryText(blocks)).toBe('== Result ==\n\na    bb\n---  --\nx|y  z\n');
  });
});

describe('defaults that are workflow expressions', () => {
  const tokenSpec = defineStep({
    spec: {
      name: 't',
      title: 'T',
      description: '',
      inputs: {
        token: { description: 'a token', default: WORKFLOW_TOKEN },
        other: { description: 'x', default: '${{ github.sha }}' },
      },
      outputs: {},
    },
    run: async () => ({}),
  }).spec;

  it('take GITHUB_TOKEN for the workflow token where no runner evaluated them, and nothing for others', () => {
    const inputs = new Inputs(tokenSpec, {}, { GITHUB_TOKEN: 'ghs_x' });
    expect(inputs.string('token')).toBe('ghs_x');
    expect(inputs.string('other')).toBe('');
    expect(new Inputs(tokenSpec, { token: 'given' }, { GITHUB_TOKEN: 'ghs_x' }).string('token')).toBe('given');
    expect(new Inputs(tokenSpec, {}, {}).string('token')).toBe('');
    // @github/local-action gives action.yml's default as written.
    expect(new Inputs(tokenSpec, { token: WORKFLOW_TOKEN }, { GITHUB_TOKEN: 'ghs_x' }).string('token')).toBe('ghs_x');
  });
});
