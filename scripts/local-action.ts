// The shipped bundles as GitHub's own local runner (@github/local-action) runs them: it imports
// dist/<step>/main.mjs, calls its run(), and shows the outputs its @actions/core received. Run by
// .ci/run after npm run build (npm run local-action); needs nvcc 13.0 at /usr/local/cuda-13.0 and
// Python 3.12. local-action exits 0 whatever the action did, so this checks its log: no ::error::
// line, and the outputs that must be there.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { offlinePipEnv } from '../test/helpers/offline-pip';

const root = path.resolve(import.meta.dirname, '..');

interface Case {
  action: string;
  entry: string;
  inputs: Record<string, string>;
  /** Outputs that must be set, with a pattern their value must match. */
  outputs: Record<string, RegExp>;
}

const work = await mkdtemp(path.join(tmpdir(), 'sagewheels-local-action-'));
const cases: Case[] = [
  {
    action: 'actions/matrix',
    entry: '../../dist/matrix/main.mjs',
    inputs: { 'torch-versions': '2.9.1', 'python-versions': '3.12', 'cuda-versions': '13.0' },
    outputs: { matrix: /"torch":"2\.9\.1"/, count: /^1$/ },
  },
  {
    action: 'actions/setup-cuda',
    entry: '../../dist/setup-cuda/main.mjs',
    inputs: { 'cuda-version': '13.0', method: 'existing' },
    outputs: { 'cuda-path': /^\/usr\/local\/cuda-13\.0$/, source: /^existing$/ },
  },
  {
    action: '.',
    entry: 'dist/run/main.mjs',
    inputs: {
      steps: 'setup-cuda,build,verify',
      'cuda-version': '13.0',
      method: 'existing',
      source: path.join(root, 'test/fixtures/cudapkg'),
      package: 'generic',
      // On the runner: a machine without docker or podman runs this too.
      container: 'none',
      python: '3.12',
      torch: 'none',
      'arch-list': '8.0;9.0;12.0',
      'compile-cache': 'off',
      'output-dir': path.join(work, 'wheelhouse'),
    },
    outputs: { wheels: /cudapkg-0\.1\.0\+cu130-cp312-.*\.whl/, archs: /^8\.0;.*9\.0;12\.0$/, report: /report\.json$/ },
  },
];

let failed = 0;
try {
  for (const [i, c] of cases.entries()) {
    const dir = path.join(work, String(i));
    await mkdir(path.join(dir, 'tmp'), { recursive: true });
    const env = {
      ...Object.fromEntries(Object.entries(c.inputs).map(([name, value]) => [`INPUT_${name.toUpperCase()}`, value])),
      RUNNER_TEMP: path.join(dir, 'tmp'),
      RUNNER_TOOL_CACHE: path.join(dir, 'tool-cache'),
      ...offlinePipEnv(),
    };
    const dotenv = path.join(dir, '.env');
    await writeFile(
      dotenv,
      Object.entries(env)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}\n`)
        .join(''),
    );
    console.log(`::group::local-action run ${c.action} ${c.entry}`);
    const result = spawnSync('npx', ['local-action', 'run', c.action, c.entry, dotenv], {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    const log = `${result.stdout}${result.stderr}`;
    console.log(log);
    console.log('::endgroup::');
    const problems: string[] = [];
    if (result.status !== 0) problems.push(`local-action exited with ${result.status}`);
    const errors = log.split('\n').filter((line) => line.startsWith('::error::'));
    problems.push(...errors);
    // The outputs table local-action prints: │ 0 │ 'name' │ 'value' │
    const table = log.slice(log.lastIndexOf('Action Outputs'));
    for (const [name, pattern] of Object.entries(c.outputs)) {
      const row = table.split('\n').find((line) => line.includes(`'${name}'`));
      const value = row?.split('│')[3]?.trim().replace(/^'|'$/g, '');
      if (value === undefined || !pattern.test(value)) problems.push(`output ${name}: ${value ?? 'not set'}`);
    }
    console.log(`${c.action} (${c.entry}): ${problems.length === 0 ? 'ok' : `FAILED\n  ${problems.join('\n  ')}`}`);
    if (problems.length > 0) failed++;
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
process.exitCode = failed > 0 ? 1 : 0;
