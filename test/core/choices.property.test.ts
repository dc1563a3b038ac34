import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseInputFlags } from '../../src/core/args';
import { type InputSpec, Inputs, type StepSpec } from '../../src/core/step';
import { PIPELINE, STEPS } from '../../src/registry';

const SPECS: StepSpec[] = [...STEPS.map((s) => s.spec), PIPELINE.spec];

/** Every documented value of every enumerated input: (step, input, value). */
const DOCUMENTED = SPECS.flatMap((spec) =>
  Object.entries<InputSpec>(spec.inputs).flatMap(([name, input]) =>
    (input.choices ?? []).map((value) => ({ step: spec.name, name, value })),
  ),
);
const specOf = (step: string) => SPECS.find((spec) => spec.name === step)!;

// Issue 29.6, as a class: a value the spec lists is taken, as the action reads it and as the CLI
// parses `--<input> <value>`; none is refused by a reader that guessed the input's type.
describe('documented values work', () => {
  it('knows enumerated inputs with more than two values (reproducible: check among them)', () => {
    expect(DOCUMENTED.some(({ name, value }) => name === 'reproducible' && value === 'check')).toBe(true);
  });

  it('every choice of every input reads back as itself, from the action and from the CLI', () => {
    fc.assert(
      fc.property(fc.constantFrom(...DOCUMENTED), ({ step, name, value }) => {
        const spec = specOf(step);
        const later = Object.keys(spec.inputs).filter((other) => other !== name);
        // Only this input is read: the others count as given by an earlier step.
        const fromAction = new Inputs(spec, { [name]: value }, {}, later);
        expect(fromAction.string(name)).toBe(value);
        const flags = parseInputFlags([`--${name}`, value], [spec]);
        expect(flags[name]).toBe(value);
        expect(new Inputs(spec, flags, {}, later).string(name)).toBe(value);
      }),
      { numRuns: DOCUMENTED.length * 3 },
    );
  });
});
