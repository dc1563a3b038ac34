import { ConfigurationError } from './errors';
import type { StepSpec } from './step';

/** `--name value` and `--name=value` pairs, checked against the inputs the specs know. */
export function parseInputFlags(argv: readonly string[], specs: readonly StepSpec[]): Record<string, string> {
  const known = new Set(specs.flatMap((spec) => Object.keys(spec.inputs)));
  const values: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--'))
      throw new ConfigurationError(`"${arg}" is not a flag: inputs are given as --<input> <value>`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (!known.has(name)) {
      throw new ConfigurationError(
        `--${name} is not an input of ${specs.map((s) => s.name).join(', ')}. Inputs: ${[...known].join(', ')}`,
      );
    }
    const value = eq < 0 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined) throw new ConfigurationError(`--${name} needs a value`);
    values[name] = value;
  }
  return values;
}

/** The inputs of one spec out of a shared flag set. */
export function inputsFor(spec: StepSpec, values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter(([name]) => name in spec.inputs));
}
