import type { Context } from './context';
import { ConfigurationError, inputError } from './errors';
import { checkInput, secretsOf } from './input-kinds';
import { type ListSeparators, readList } from './list';
import { addSecret } from './secrets';

/**
 * What kind of value an input takes, each checked by one reader (core/input-kinds.ts) when the
 * inputs are read: text is one line without control characters (the kind when none is said);
 * multiline may have lines; list is read by readList; git-ref is a branch or tag name git takes;
 * url one URL of `schemes`, urls several separated by spaces; path a path whose target `exists`
 * as said; objects a JSON object or list of objects with `keys`.
 */
export type InputKind = 'text' | 'multiline' | 'list' | 'git-ref' | 'url' | 'urls' | 'path' | 'objects';

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
  kind?: InputKind;
  /** url, urls: the schemes allowed, without the colon; default https, http. A URL's password is masked. */
  schemes?: readonly string[];
  /** path: what must be there already. */
  exists?: 'dir' | 'file' | 'dir-or-absent';
  /** Words taken as they are instead of a value of the kind (auto, off, snapshot). */
  keywords?: readonly string[];
  /** The longest value, in characters. */
  maxLength?: number;
  /** objects: the keys an object may have; with otherKeys new ones too, but not one a typo away from a known one. */
  keys?: readonly string[];
  otherKeys?: boolean;
}

/** The fields of an input that say what kind of value it takes (for an input merged from several steps). */
export function kindFields(input: InputSpec): Partial<InputSpec> {
  const { kind, schemes, exists, keywords, maxLength, keys, otherKeys } = input;
  return Object.fromEntries(
    Object.entries({ kind, schemes, exists, keywords, maxLength, keys, otherKeys }).filter(([, v]) => v !== undefined),
  );
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

const isBoolean = (value: string | undefined): boolean => value !== undefined && [...TRUE, ...FALSE].includes(value);

/**
 * The type an input declares, or boolean where its default is true or false and it has no other
 * choice (reproducible: true, false or check is a choice of three).
 */
export function inputType(input: InputSpec): InputSpec['type'] {
  return input.type ?? (isBoolean(input.default) && (input.choices ?? []).every(isBoolean) ? 'boolean' : undefined);
}

/**
 * The secrets in raw inputs (tokens, URL passwords), defaults applied: the masker takes them
 * before any input is checked, so no error can print one.
 */
export function inputSecrets(spec: StepSpec, raw: Partial<Record<string, string>>, env = process.env): string[] {
  return Object.entries<InputSpec>(spec.inputs).flatMap(([name, input]) =>
    secretsOf(input, (raw[name] ?? '').trim() || resolveDefault(input.default, env)),
  );
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
    for (const secret of inputSecrets(spec, raw, env)) addSecret(secret);
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
          // Quoted as JSON: a value with a newline stays on the error's one line.
          throw inputError(name, `${JSON.stringify(value)} is not allowed`, `Allowed: ${input.choices.join(', ')}`);
        checkInput(name, input, value);
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
