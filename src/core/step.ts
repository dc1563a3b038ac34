import type { Context } from './context';
import { inputError } from './errors';

export interface InputSpec {
  description: string;
  default?: string;
  required?: boolean;
  /** The only values allowed, when the input is an enumeration. */
  choices?: readonly string[];
  /** Masked in logs and never echoed (tokens). */
  secret?: boolean;
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
}

export interface Step<I extends string = string, O extends string = string> {
  spec: StepSpec<I, O>;
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

/** Raw input strings with the spec's defaults applied, and typed readers that name the input at fault. */
export class Inputs<I extends string> {
  private readonly values: Record<string, string>;

  constructor(
    readonly spec: StepSpec<I, string>,
    raw: Partial<Record<string, string>>,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    for (const name of Object.keys(raw)) {
      if (!(name in spec.inputs)) {
        throw inputError(name, `is not an input of ${spec.name}`, `Inputs: ${Object.keys(spec.inputs).join(', ')}`);
      }
    }
    this.values = {};
    for (const [name, input] of Object.entries<(typeof spec.inputs)[I]>(spec.inputs)) {
      const given = (raw[name] ?? '').trim();
      const value = given === '' ? resolveDefault(input.default, env) : given;
      if (input.required && value === '') {
        throw inputError(name, 'is required and was not given', input.description);
      }
      if (input.choices && value !== '' && !input.choices.includes(value)) {
        throw inputError(name, `"${value}" is not allowed`, `Allowed: ${input.choices.join(', ')}`);
      }
      this.values[name] = value;
    }
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

  /** Items separated by newlines or commas, blanks dropped. */
  list(name: I): string[] {
    return this.string(name)
      .split(/[\n,]/)
      .map((item) => item.trim())
      .filter((item) => item !== '');
  }

  integer(name: I, min = 0): number {
    const value = this.string(name);
    const parsed = Number(value);
    if (!/^-?\d+$/.test(value) || parsed < min) {
      throw inputError(name, `"${value}" is not a whole number`, `Allowed: a whole number >= ${min}`);
    }
    return parsed;
  }
}
