import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
// The machine's own Node (20 on the development and CI machines), not the checkout's Node 24.
const systemNode = '/usr/bin/node';
const version = await run(systemNode, ['--version']).then(
  (r) => r.stdout.trim().slice(1),
  () => undefined,
);

let dir = '';
beforeAll(async () => {
  // The CLI's entry beside a main.mjs that, like the bundle, imports what only Node 24 has.
  dir = await mkdtemp(path.join(tmpdir(), 'node-check-'));
  await copyFile(path.join(root, 'src/cli/node-check.mjs'), path.join(dir, 'index.mjs'));
  await writeFile(path.join(dir, 'main.mjs'), "import { glob } from 'node:fs/promises';\nconsole.log(typeof glob);\n");
});
afterAll(() => rm(dir, { recursive: true, force: true }));

it.skipIf(version === undefined || Number(version.split('.')[0]) >= 24)(
  `stops at once on an older Node (${systemNode} ${version ?? 'missing'}) with the Node it needs`,
  async () => {
    const result = await run(systemNode, [path.join(dir, 'index.mjs')]).catch((error) => error);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`sagewheels needs Node 24 (found ${version}); npm ci in a checkout brings it\n`);
  },
);

it('runs the CLI on Node 24', async () => {
  const { stdout } = await run(process.execPath, [path.join(dir, 'index.mjs')]);
  expect(stdout).toBe('function\n');
});

it("asks for package.json's engines.node", async () => {
  const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
  const check = await readFile(path.join(root, 'src/cli/node-check.mjs'), 'utf8');
  expect(pkg.engines.node).toBe(`>=${/const NEEDED = (\d+);/.exec(check)?.[1]}`);
});
