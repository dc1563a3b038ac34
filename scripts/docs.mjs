// Writes each step's inputs and outputs tables into README.md from the step's spec, the one list
// of names. With --check, fails instead when README.md is out of date (CI runs it so).
import { build } from 'esbuild';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(import.meta.dirname, '..');
const check = process.argv.includes('--check');
const steps = (await readdir(path.join(root, 'src/steps'))).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort();

const bundle = path.join(root, 'node_modules', '.cache', 'sagewheels-specs.mjs');
await build({
  stdin: {
    contents: steps.map((s, i) => `export { step as s${i} } from './src/steps/${s}.ts';`).join('\n'),
    resolveDir: root,
    loader: 'ts',
  },
  outfile: bundle,
  bundle: true,
  platform: 'node',
  format: 'esm',
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: 'error',
});
const specs = Object.values(await import(pathToFileURL(bundle).href)).map((step) => step.spec);
await rm(bundle);

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

const readmePath = path.join(root, 'README.md');
const before = await readFile(readmePath, 'utf8');
let after = before;
const missing = [];
for (const spec of specs) {
  for (const [kind, table] of Object.entries(tables(spec))) {
    const begin = `<!-- ${spec.name} ${kind} -->`;
    const end = `<!-- /${spec.name} ${kind} -->`;
    const start = after.indexOf(begin);
    const stop = after.indexOf(end);
    if (start < 0 || stop < start) {
      missing.push(`${begin} ... ${end}`);
      continue;
    }
    after = `${after.slice(0, start + begin.length)}\n${table}\n${after.slice(stop)}`;
  }
}
if (missing.length > 0) {
  console.error(`README.md lacks the markers for:\n${missing.join('\n')}`);
  process.exit(1);
}
if (after !== before) {
  if (check) {
    console.error('README.md tables differ from the step specs: run node scripts/docs.mjs');
    process.exit(1);
  }
  await writeFile(readmePath, after);
  console.log('README.md tables updated');
} else {
  console.log(`README.md tables match ${specs.length} step specs`);
}
