import { describe, expect, it } from 'vitest';
import { inputsFor, parseInputFlags } from '../../src/core/args';
import type { StepSpec } from '../../src/core/step';

const a: StepSpec = {
  name: 'a',
  title: 'A',
  description: '',
  inputs: { 'cuda-version': { description: '' }, x: { description: '' } },
  outputs: {},
};
const b: StepSpec = {
  name: 'b',
  title: 'B',
  description: '',
  inputs: { wheels: { description: '' }, x: { description: '' }, 'dry-run': { description: '', default: 'false' } },
  outputs: {},
};

describe('parseInputFlags', () => {
  it('reads both flag forms, values with spaces and "=" intact', () => {
    expect(parseInputFlags(['--cuda-version', '13.0', '--wheels=a=b c', '--x', ''], [a, b])).toEqual({
      'cuda-version': '13.0',
      wheels: 'a=b c',
      x: '',
    });
  });
  it('refuses unknown flags, stray words and a missing value', () => {
    expect(() => parseInputFlags(['--cuda', '13.0'], [a])).toThrow(
      '--cuda is not an input of a. Did you mean --cuda-version?',
    );
    expect(() => parseInputFlags(['--banana', '1'], [a])).toThrow(
      '--banana is not an input of a. sagewheels a --help lists them',
    );
    expect(() => parseInputFlags(['13.0'], [a])).toThrow(/is not a flag/);
    expect(() => parseInputFlags(['--x'], [a])).toThrow('--x needs a value');
  });
  it('takes a boolean input as a switch: alone, negated, or with a value', () => {
    expect(parseInputFlags(['--dry-run', '--wheels', 'w'], [b])).toEqual({ 'dry-run': 'true', wheels: 'w' });
    expect(parseInputFlags(['--wheels', 'w', '--dry-run'], [b])).toEqual({ 'dry-run': 'true', wheels: 'w' });
    expect(parseInputFlags(['--no-dry-run'], [b])).toEqual({ 'dry-run': 'false' });
    expect(parseInputFlags(['--dry-run', 'false'], [b])).toEqual({ 'dry-run': 'false' });
    expect(parseInputFlags(['--dry-run=maybe'], [b])).toEqual({ 'dry-run': 'maybe' });
    // A word after a switch is its value, for Inputs to refuse when it is not a boolean.
    expect(parseInputFlags(['--dry-run', 'maybe'], [b])).toEqual({ 'dry-run': 'maybe' });
    expect(() => parseInputFlags(['--no-x'], [b])).toThrow(/^--no-x is not an input of b/);
  });
  it('hands each step only its own inputs', () => {
    const values = { 'cuda-version': '13.0', wheels: 'w', x: '1' };
    expect(inputsFor(b, values)).toEqual({ wheels: 'w', x: '1' });
  });
});
