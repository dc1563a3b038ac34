import { ConfigurationError } from './errors';
import { Inputs, type Step } from './step';

/** Several mistakes found in one pass: one line each, in the order found. */
export class ConfigurationErrors extends ConfigurationError {
  constructor(readonly errors: readonly ConfigurationError[]) {
    super(errors.map((error) => error.message).join('\n'));
  }
}

/** Every ConfigurationError the checks throw (each runs whatever the others threw); anything else is thrown. */
export async function collectProblems(checks: readonly (() => unknown)[]): Promise<ConfigurationError[]> {
  const problems: ConfigurationError[] = [];
  for (const check of checks) {
    try {
      await check();
    } catch (error) {
      if (error instanceof ConfigurationErrors) problems.push(...error.errors);
      else if (error instanceof ConfigurationError) problems.push(error);
      else throw error;
    }
  }
  return problems;
}

/** The input a message names ("cuda-version: ..."), else the whole message. */
const subject = (error: ConfigurationError): string => /^([\w-]+): /.exec(error.message)?.[1] ?? error.message;

/**
 * The problems as one error (the single one as itself), or nothing to throw when there are none.
 * An input that several steps refuse (cuda-version) gets the first step's line only.
 */
export function refuse(problems: readonly ConfigurationError[]): void {
  const unique = [...new Map(problems.map((problem) => [subject(problem), problem])).values()];
  if (unique.length === 1) throw unique[0];
  if (unique.length > 1) throw new ConfigurationErrors(unique);
}

/**
 * A step's inputs read and checked in one pass: every input's own reading (required, choices,
 * booleans, numbers) and the step's check(), each mistake reported, none stopping the others.
 * `later`: inputs an earlier step of a pipeline gives (see Inputs).
 */
export async function stepProblems<I extends string>(
  step: Step<I, string>,
  raw: Partial<Record<string, string>>,
  env: NodeJS.ProcessEnv = process.env,
  later: readonly string[] = [],
): Promise<{ inputs: Inputs<I>; problems: ConfigurationError[] }> {
  const problems: ConfigurationError[] = [];
  const inputs = new Inputs(step.spec, raw, env, later, problems);
  problems.push(...(await collectProblems([() => step.check?.(inputs)])));
  return { inputs, problems };
}

/** The inputs of a step run alone, refused with every mistake at once. */
export async function checkedInputs<I extends string>(
  step: Step<I, string>,
  raw: Partial<Record<string, string>>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Inputs<I>> {
  const { inputs, problems } = await stepProblems(step, raw, env);
  refuse(problems);
  return inputs;
}
