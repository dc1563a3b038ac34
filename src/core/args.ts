import { didYouMean } from './did-you-mean';
import { ConfigurationError } from './errors';
import { type InputSpec, inputType, type StepSpec } from './step';

/**
 * `--name value` and `--name=value` pairs, checked against the inputs the specs know. A boolean
 * input is a switch: `--dry-run` alone is true, `--no-dry-run` false, `--dry-run false` as given.
 */
export function parseInputFlags(argv: readonly string[], specs: readonly StepSpec[]): Record<string, string> {
  const known = new Map<string, InputSpec>(specs.flatMap((spec) => Object.entries<InputSpec>(spec.inputs)));
  const isSwitch = (name: string) => known.has(name) && inputType(known.get(name)!) === 'boolean';
  const values: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--'))
      throw new ConfigurationError(`"${arg}" is not a flag: inputs are given as --<input> <value>`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (eq < 0 && name.startsWith('no-') && isSwitch(name.slice(3))) {
      values[name.slice(3)] = 'false';
      continue;
    }
    if (!known.has(name)) {
      const near = didYouMean(name, known.keys());
      const steps = specs.map((s) => s.name).join(', ');
      throw new ConfigurationError(
        `--${name} is not an input of ${steps}. ${near ? `Did you mean --${near}?` : `sagewheels ${steps} --help lists them`}`,
      );
    }
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    // Steps take no positional words: one after a switch is its value (and refused if not a boolean).
    else if (isSwitch(name)) value = argv[i + 1] === undefined || argv[i + 1]!.startsWith('--') ? 'true' : argv[++i];
    else value = argv[++i];
    if (value === undefined) throw new ConfigurationError(`--${name} needs a value`);
    values[name] = value;
  }
  return values;
}

/** The inputs of one spec out of a shared flag set. */
export function inputsFor(spec: StepSpec, values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter(([name]) => name in spec.inputs));
}
