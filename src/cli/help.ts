import { type InputSpec, inputType, type Step, type StepSpec, WORKFLOW_TOKEN } from '../core/step';
import { EXAMPLES } from './examples';

/** Help text width: the terminal's, kept between 60 and 100 columns; 80 when not a terminal. */
export const helpWidth = (columns = process.stdout.columns): number => Math.min(100, Math.max(60, columns || 80));

/** Words filled into lines of at most `width` columns, each line after `indent` spaces. */
export function wrap(text: string, width: number, indent = 0): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent + line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.map((l) => ' '.repeat(indent) + l).join('\n');
}

export function usage(steps: readonly Step[], width = helpWidth()): string {
  const name = Math.max(...steps.map((s) => s.spec.name.length));
  return [
    'usage: sagewheels <step> [--<input> <value> ...]',
    '       sagewheels <step> --help',
    '',
    'steps:',
    ...steps.map((s) => `  ${s.spec.name.padEnd(name)}  ${s.spec.title}`),
    '',
    wrap(
      'Outputs go to stdout as name=value lines, the log and the summary to stderr. SAGEWHEELS_VERBOSE=1 shows every log line and debug messages.',
      width,
    ),
    '',
    'examples:',
    ...['matrix', 'build', 'run'].map((step) => `  ${EXAMPLES[step]![0]}`),
    '',
  ].join('\n');
}

/** What a default means in a shell, where no runner evaluates `${{ }}` expressions. */
function shellDefault(input: InputSpec): string | undefined {
  if (input.default === WORKFLOW_TOKEN) return '$GITHUB_TOKEN or $GH_TOKEN';
  if (input.default?.includes('${{')) return undefined;
  return input.default;
}

/** One input's flag, its default or switch note, and its wrapped description; `note` adds to the note. */
function inputHelp(name: string, input: InputSpec, width: number, note?: string): string {
  const isSwitch = inputType(input) === 'boolean';
  const flag = isSwitch ? `--${name}` : `--${name} <value>`;
  const fallback = shellDefault(input);
  const notes = [
    note,
    input.required
      ? 'required'
      : isSwitch
        ? fallback === 'true'
          ? `switch, on by default; --no-${name} turns it off`
          : 'switch'
        : fallback
          ? `default: ${fallback}`
          : '',
  ].filter(Boolean);
  const choices = input.choices ? ` One of: ${input.choices.join(', ')}.` : '';
  const sentence = choices && !/[.!?]$/.test(input.description) ? `${input.description}.` : input.description;
  return `  ${flag}${notes.length > 0 ? `  (${notes.join('; ')})` : ''}\n${wrap(`${sentence}${choices}`, width, 6)}`;
}

export function stepHelp(spec: StepSpec, width = helpWidth()): string {
  const required = Object.entries<InputSpec>(spec.inputs)
    .filter(([, input]) => input.required)
    .map(([name]) => `--${name} <value>`);
  const inputs = spec.inputGroups
    ? spec.inputGroups.flatMap((group, i) => [
        ...(i > 0 ? [''] : []),
        `${group.title}:`,
        ...group.inputs.map(({ name, note }) => inputHelp(name, spec.inputs[name]!, width, note)),
      ])
    : ['inputs:', ...Object.entries<InputSpec>(spec.inputs).map(([name, input]) => inputHelp(name, input, width))];
  const outputs = Object.entries(spec.outputs).map(
    ([name, output]) => `  ${name}\n${wrap(output.description, width, 6)}`,
  );
  const examples = EXAMPLES[spec.name] ?? [];
  return [
    wrap(`sagewheels ${spec.name}: ${spec.description}`, width),
    '',
    wrap(`usage: sagewheels ${spec.name} ${[...required, '[--<input> <value> ...]'].join(' ')}`, width),
    '',
    ...inputs,
    '',
    'outputs (stdout, one name=value line each):',
    ...outputs,
    ...(examples.length > 0 ? ['', 'examples:', ...examples.map((e) => `  ${e}`)] : []),
    '',
  ].join('\n');
}
