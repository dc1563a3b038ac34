import type { Context } from '../core/context';
import { inputError, StepFailed } from '../core/errors';
import {
  defineStep,
  Inputs,
  type InputSpec,
  kindFields,
  type OutputSpec,
  type Step,
  type StepSpec,
} from '../core/step';

/** An earlier step's output that becomes a later step's input when the user gave none. */
interface Wire {
  input: string;
  from: string;
  output: string;
  /** A given value that still means "take it from the earlier step". */
  auto?: string;
}

export const WIRES: readonly Wire[] = [
  { input: 'wheels', from: 'build', output: 'wheels' },
  // verify checks the archs build resolved `auto` to.
  { input: 'arch-list', from: 'build', output: 'arch-list', auto: 'auto' },
  { input: 'report', from: 'verify', output: 'report' },
];

/** One input of several steps: the first description; a default only where all agree and nothing is wired. */
function mergeInputs(steps: readonly Step[]): Record<string, InputSpec> {
  const merged: Record<string, InputSpec> = {};
  for (const step of steps) {
    for (const [name, input] of Object.entries<InputSpec>(step.spec.inputs)) {
      const sharing = steps.filter((s) => name in s.spec.inputs).map((s) => s.spec.inputs[name] as InputSpec);
      const defaults = new Set(sharing.map((s) => s.default));
      const wired = WIRES.some((wire) => wire.input === name);
      merged[name] ??= {
        description: input.description,
        ...(defaults.size === 1 && input.default !== undefined && !wired ? { default: input.default } : {}),
        ...(sharing.some((s) => s.choices) && defaults.size === 1 ? { choices: input.choices } : {}),
        ...(sharing.some((s) => s.secret) ? { secret: true } : {}),
        ...(input.type ? { type: input.type } : {}),
        ...(input.min !== undefined ? { min: input.min } : {}),
        ...kindFields(input),
      };
    }
  }
  return merged;
}

/** The whole pipeline as one step: `steps` picks a subset, each step gets its own inputs, outputs flow on. */
export function pipelineStep(steps: readonly Step[]) {
  const names = steps.map((step) => step.spec.name);
  const spec: StepSpec = {
    name: 'run',
    title: 'The whole pipeline',
    description: `The whole pipeline in one step (${names.join(' -> ')}); \`steps\` picks a subset`,
    inputs: {
      steps: {
        description: `Steps to run, in this order whatever the order given: ${names.join(', ')}`,
        default: names.join(','),
        kind: 'list',
      },
      ...mergeInputs(steps),
    },
    outputs: Object.assign({}, ...steps.map((step) => step.spec.outputs)) as Record<string, OutputSpec>,
  };

  return defineStep({
    spec,
    async run(inputs, ctx: Context) {
      const chosen = new Set(inputs.list('steps'));
      for (const name of chosen) {
        if (!names.includes(name))
          throw inputError('steps', `"${name}" is not a pipeline step`, `Allowed: ${names.join(', ')}`);
      }
      const selected = steps.filter((step) => chosen.has(step.spec.name));
      const given = (step: Step) =>
        Object.fromEntries(Object.keys(step.spec.inputs).map((name) => [name, inputs.string(name)]));
      const order = (name: string) => names.indexOf(name);
      const wiredFor = (step: Step) =>
        WIRES.filter(
          (w) =>
            w.input in step.spec.inputs &&
            chosen.has(w.from) &&
            order(w.from) < order(step.spec.name) &&
            (inputs.string(w.input) === '' || inputs.string(w.input) === w.auto),
        );

      // Every chosen step's inputs are checked before the first one runs; a wired one counts as given.
      for (const step of selected) {
        const later = wiredFor(step).map((w) => w.input);
        const checked = new Inputs(step.spec, given(step), process.env, later);
        step.check?.(checked);
      }

      const outputs: Record<string, string> = {};
      const produced = new Map<string, Record<string, string>>();
      for (const step of selected) {
        const wired = Object.fromEntries(wiredFor(step).map((w) => [w.input, produced.get(w.from)?.[w.output] ?? '']));
        ctx.log.info(`\n=== ${step.spec.title} (${step.spec.name}) ===`);
        try {
          const result = await step.run(new Inputs(step.spec, { ...given(step), ...wired }), ctx);
          produced.set(step.spec.name, result);
          Object.assign(outputs, result);
        } catch (error) {
          // What the earlier steps made (wheels, a report) stays in the outputs of a failed run.
          if (error instanceof StepFailed) throw new StepFailed(error.message, { ...outputs, ...error.outputs });
          if (Object.keys(outputs).length > 0 && error instanceof Error) throw new StepFailed(error.message, outputs);
          throw error;
        }
      }
      return outputs;
    },
  });
}
