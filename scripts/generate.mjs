// Writes every action.yml and the README's input and output tables from the step specs, the one
// list of names. With --check, fails instead when any of them is out of date (CI runs it so).
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { loadRegistry, root } from './specs.mjs';

const check = process.argv.includes('--check');
const { steps, pipeline } = await loadRegistry();
const stale = [];

async function update(file, next) {
  const full = path.join(root, file);
  const before = await readFile(full, 'utf8').catch(() => '');
  if (before === next) return;
  stale.push(file);
  if (!check) await writeFile(full, next);
}

function actionYml(spec, main) {
  const action = {
    name: spec.name === 'run' ? 'sagewheels' : `sagewheels ${spec.name}`,
    description: spec.description,
    author: 'sagewheels',
    branding: { icon: 'package', color: 'green' },
    inputs: Object.fromEntries(
      Object.entries(spec.inputs).map(([name, input]) => [
        name,
        {
          description: input.description,
          required: input.required ?? false,
          ...(input.default !== undefined ? { default: input.default } : {}),
        },
      ]),
    ),
    outputs: Object.fromEntries(
      Object.entries(spec.outputs).map(([name, output]) => [name, { description: output.description }]),
    ),
    runs: { using: 'node24', main },
  };
  return `# Written by scripts/generate.mjs from the step's spec; edit the spec, then run npm run generate.\n${YAML.stringify(action, { lineWidth: 0 })}`;
}

for (const spec of steps)
  await update(`actions/${spec.name}/action.yml`, actionYml(spec, `../../dist/${spec.name}/index.mjs`));
await update('action.yml', actionYml(pipeline, 'dist/run/index.mjs'));

const cell = (text) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const tables = (spec) => ({
  inputs: [
    '| input | default | description |',
    '| --- | --- | --- |',
    ...Object.entries(spec.inputs).map(
      ([name, input]) =>
        `| \`${name}\` | ${input.required ? '(required)' : input.default ? `\`${cell(input.default)}\`` : ''} | ${cell(input.description)} |`,
    ),
  ].join('\n'),
  outputs: [
    '| output | description |',
    '| --- | --- |',
    ...Object.entries(spec.outputs).map(([name, output]) => `| \`${name}\` | ${cell(output.description)} |`),
  ].join('\n'),
});

let readme = await readFile(path.join(root, 'README.md'), 'utf8');
const missing = [];
for (const spec of [...steps, pipeline]) {
  for (const [kind, table] of Object.entries(tables(spec))) {
    const begin = `<!-- ${spec.name} ${kind} -->`;
    const end = `<!-- /${spec.name} ${kind} -->`;
    const start = readme.indexOf(begin);
    const stop = readme.indexOf(end);
    if (start < 0 || stop < start) missing.push(`${begin} ... ${end}`);
    else readme = `${readme.slice(0, start + begin.length)}\n${table}\n${readme.slice(stop)}`;
  }
}
if (missing.length > 0) {
  console.error(`README.md lacks the markers for:\n${missing.join('\n')}`);
  process.exit(1);
}
await update('README.md', readme);

if (check && stale.length > 0) {
  console.error(`out of date with the step specs: ${stale.join(', ')}; run npm run generate`);
  process.exit(1);
}
console.log(
  stale.length > 0 ? `wrote ${stale.join(', ')}` : `action.yml files and README tables match ${steps.length + 1} specs`,
);
