import type { Context } from './context';
import { ConfigurationError, inputError } from './errors';
import { type ListSeparators, readList } from './list';

export interface InputSpec {
  description: string;
  default?: string;
  required?: boolean;
  /** The only values allowed, when the input is an enumeration. */
  choices?: readonly string[];
  /** Masked in logs and never echoed (tokens). */
  secret?: boolean;
  /**
   * What the value must be, checked with every other input before the step (or the pipeline's
   * first step) runs: a boolean (implied by a default of true or false; a switch in the CLI), or a
   * whole number of at least `min`.
   */
  type?: 'boolean' | 'integer';
  min?: number;
}

export interface OutputSpec {
  description: string;
}

/** The single list of a step's names: action.yml, the CLI and the README are checked against it. */
export interface StepSpec<I extends string = string, O extends string = string> {
  name: string;
  title: string;
  description: string;
  inputs: Record<I, InputSpec>;
  outputs: Record<O, OutputSpec>;
  /** Headings the CLI's help shows the inputs under (the pipeline's: by step), with a note per input. */
  inputGroups?: readonly { title: string; inputs: readonly { name: string; note?: string }[] }[];
}

export interface Step<I extends string = string, O extends string = string> {
  spec: StepSpec<I, O>;
  /**
   * What the step refuses without touching the network, the disk or a process, for the pipeline
   * to ask of every chosen step before the first one runs. An input that an earlier step will
   * give reads as empty here.
   */
  check?(inputs: Inputs<I>): void | Promise<void>;
  run(inputs: Inputs<I>, ctx: Context): Promise<Record<O, string>>;
}

export function defineStep<I extends string, O extends string>(step: Step<I, O>): Step<I, O> {
  return step;
}

/** The action.yml default that the runner replaces with the workflow's token. */
export const WORKFLOW_TOKEN = '${{ github.token }}';

/**
 * A default as the step sees it. The runner evaluates expressions in action.yml defaults; where
 * no runner did (the CLI, a bundle run by hand), the workflow token is GITHUB_TOKEN and any other
 * expression is empty.
 */
function resolveDefault(value: string | undefined, env: NodeJS.ProcessEnv): string {
  if (value === WORKFLOW_TOKEN) return env.GITHUB_TOKEN ?? env.GH_TOKEN ?? '';
  return value?.includes('${{') ? '' : (value ?? '');
}

const TRUE = ['true', 'True', 'TRUE'];
const FALSE = ['false', 'False', 'FALSE'];

/** The type an input declares, or boolean where its default is true or false. */
export function inputType(input: InputSpec): InputSpec['type'] {
  return input.type ?? (input.default && [...TRUE, ...FALSE].includes(input.default) ? 'boolean' : undefined);
}

/** Raw input strings with the spec's defaults applied, and typed readers that name the input at fault. */
export class Inputs<I extends string> {
  private readonly values: Record<string, string>;
  private readonly given = new Set<string>();

  /**
   * `later`: inputs an earlier step of the pipeline will give; they count as given and read as
   * empty until then. `problems`: where each mistake goes instead of being thrown (to report all
   * of them at once).
   */
  constructor(
    readonly spec: StepSpec<I, string>,
    raw: Partial<Record<string, string>>,
    env: NodeJS.ProcessEnv = process.env,
    later: readonly string[] = [],
    problems?: ConfigurationError[],
  ) {
    const refuse = (error: ConfigurationError) => {
      if (!problems) throw error;
      problems.push(error);
    };
    for (const name of Object.keys(raw)) {
      if (!(name in spec.inputs)) {
        refuse(inputError(name, `is not an input of ${spec.name}`, `Inputs: ${Object.keys(spec.inputs).join(', ')}`));
      }
    }
    this.values = {};
    for (const [name, input] of Object.entries<(typeof spec.inputs)[I]>(spec.inputs)) {
      const given = (raw[name] ?? '').trim();
      // A runner evaluates expressions; @github/local-action hands action.yml's default over as written.
      const value = given === '' || given === input.default ? resolveDefault(input.default, env) : given;
      // The runner hands an expression default over evaluated (the workflow token): not the user's.
      if (given !== '' && given !== input.default && !input.default?.includes('${{')) this.given.add(name);
      if (later.includes(name)) {
        this.values[name] = '';
        continue;
      }
      this.values[name] = value;
      try {
        if (input.required && value === '') throw inputError(name, 'is required and was not given', input.description);
        if (input.choices && value !== '' && !input.choices.includes(value))
          throw inputError(name, `"${value}" is not allowed`, `Allowed: ${input.choices.join(', ')}`);
        if (inputType(input) === 'boolean') this.boolean(name as I);
        if (inputType(input) === 'integer') this.integer(name as I, input.min);
      } catch (error) {
        if (!(error instanceof ConfigurationError)) throw error;
        refuse(error);
      }
    }
  }

  /** Whether the user set this input: given, and not as its default. */
  isGiven(name: I): boolean {
    return this.given.has(name);
  }

  /** The value, or '' when neither given nor defaulted. */
  string(name: I): string {
    return this.values[name] ?? '';
  }

  /** An enumeration input; the constructor already refused values outside `choices`. */
  choice<T extends string>(name: I): T {
    return this.string(name) as T;
  }

  optional(name: I): string | undefined {
    const value = this.string(name);
    return value === '' ? undefined : value;
  }

  boolean(name: I): boolean {
    const value = this.string(name);
    if (TRUE.includes(value)) return true;
    if (FALSE.includes(value) || value === '') return false;
    throw inputError(name, `"${value}" is not a boolean`, 'Allowed: true, false');
  }

  /** A list input, read by readList: a JSON list, or items by line or comma ('words': also spaces and ;). */
  list(name: I, separators: ListSeparators = 'lines'): string[] {
    return readList(this.string(name), separators, name);
  }

  integer(name: I, min = this.spec.inputs[name].min ?? 0): number {
    const value = this.string(name);
    const parsed = Number(value);
    if (!/^-?\d+$/.test(value) || parsed < min) {
      throw inputError(name, `"${value}" is not a whole number`, `Allowed: a whole number >= ${min}`);
    }
    return parsed;
  }
}
