import { refuse, stepProblems } from '../core/check';
import type { Context } from '../core/context';
import { didYouMean } from '../core/did-you-mean';
import { type ConfigurationError, inputError, StepFailed } from '../core/errors';
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

/** The help's headings: the pipeline's own inputs, those several steps share (once), then each step's. */
function inputGroups(steps: readonly Step[], own: readonly string[]): StepSpec['inputGroups'] {
  const owners = (name: string) => steps.filter((s) => name in s.spec.inputs).map((s) => s.spec.name);
  const names = [...new Set(steps.flatMap((s) => Object.keys(s.spec.inputs)))].filter((n) => !own.includes(n));
  const shared = names.filter((name) => owners(name).length > 1);
  return [
    { title: 'inputs of run', inputs: own.map((name) => ({ name })) },
    {
      title: 'shared inputs (each chosen step that takes one gets it)',
      inputs: shared.map((name) => ({ name, note: owners(name).join(', ') })),
    },
    ...steps.map((step) => ({
      title: `inputs of ${step.spec.name} (${step.spec.title})`,
      inputs: names.filter((name) => owners(name).join() === step.spec.name).map((name) => ({ name })),
    })),
  ].filter((group) => group.inputs.length > 0);
}

/** What a dry run says a step would do: its title, and the inputs set for it (given, or from an earlier step). */
function plan(step: Step, inputs: Inputs<string>, wired: readonly Wire[]): string {
  const set = Object.entries<InputSpec>(step.spec.inputs).flatMap(([name, input]) => {
    const wire = wired.find((w) => w.input === name);
    if (wire) return [`${name}: ${wire.from}'s ${wire.output}`];
    if (name === 'dry-run' || !inputs.isGiven(name)) return [];
    return [`${name}: ${input.secret ? '(set)' : inputs.string(name)}`];
  });
  return `would run ${step.spec.name} (${step.spec.title})${set.length > 0 ? ` with ${set.join(', ')}` : ''}, other inputs at their defaults`;
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
      'dry-run': {
        description:
          "Check every chosen step's inputs and print what each would do; run none of them (no toolkit, venv, build, upload or request). A step's own dry run (publish --dry-run) says more.",
        default: 'false',
      },
    },
    inputGroups: inputGroups(steps, ['steps', 'dry-run']),
    outputs: Object.assign({}, ...steps.map((step) => step.spec.outputs)) as Record<string, OutputSpec>,
  };

  /**
   * Every mistake of every chosen step, found in one pass before the first one runs (a wired input
   * counts as given), and what each chosen step would do.
   */
  async function survey(inputs: Inputs<string>) {
    const chosen = new Set(inputs.list('steps'));
    const problems: ConfigurationError[] = [];
    for (const name of chosen) {
      if (names.includes(name)) continue;
      const near = didYouMean(name, names);
      problems.push(
        inputError(
          'steps',
          `"${name}" is not a pipeline step${near ? `; did you mean ${near}?` : ''}`,
          `Allowed: ${names.join(', ')}`,
        ),
      );
    }
    const selected = steps.filter((step) => chosen.has(step.spec.name));
    // An input no chosen step takes would be ignored: refused, naming the step it belongs to.
    for (const name of Object.keys(spec.inputs)) {
      if (name === 'steps' || name === 'dry-run' || !inputs.isGiven(name)) continue;
      if (selected.some((step) => name in step.spec.inputs)) continue;
      const owners = steps.filter((step) => name in step.spec.inputs).map((step) => step.spec.name);
      const near = didYouMean(
        name,
        selected.flatMap((step) => Object.keys(step.spec.inputs)),
      );
      const owner = near && selected.find((step) => near in step.spec.inputs)!.spec.name;
      problems.push(
        inputError(
          name,
          `is an input of ${owners.join(', ')}, which steps does not include (${selected.map((s) => s.spec.name).join(', ') || 'none'})`,
          near ? `Did you mean ${near} (${owner})?` : `Add ${owners[0]} to steps, or leave ${name} out`,
        ),
      );
    }
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
    const plans: string[] = [];
    for (const step of selected) {
      const wired = wiredFor(step);
      const checked = await stepProblems(
        step,
        given(step),
        process.env,
        wired.map((w) => w.input),
      );
      problems.push(...checked.problems);
      plans.push(plan(step, checked.inputs, wired));
    }
    return { selected, given, wiredFor, problems, plans };
  }

  // check() and run() get the same Inputs from the action and the CLI: one survey serves both, so
  // the steps' checks (a container engine's probe among them) run once.
  const surveys = new WeakMap<Inputs<string>, ReturnType<typeof survey>>();
  const surveyOnce = (inputs: Inputs<string>) => {
    const done = surveys.get(inputs) ?? survey(inputs);
    surveys.set(inputs, done);
    return done;
  };

  return defineStep({
    spec,
    check: async (inputs) => refuse((await surveyOnce(inputs)).problems),
    async run(inputs, ctx: Context) {
      const { selected, given, wiredFor, problems, plans } = await surveyOnce(inputs);
      refuse(problems);
      if (inputs.boolean('dry-run')) {
        for (const line of plans) ctx.log.info(line);
        ctx.log.info('dry run: nothing was changed');
        return {};
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
