import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
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

let checkout = '';
let dir = '';
beforeAll(async () => {
  // A checkout's dist/cli: the entry beside a main.mjs that, like the bundle, imports what only Node 24 has.
  checkout = await mkdtemp(path.join(tmpdir(), 'node-check-'));
  dir = path.join(checkout, 'dist/cli');
  await mkdir(dir, { recursive: true });
  await copyFile(path.join(root, 'src/cli/node-check.mjs'), path.join(dir, 'index.mjs'));
  await writeFile(
    path.join(dir, 'main.mjs'),
    "import { glob } from 'node:fs/promises';\nconsole.log(typeof glob, process.argv.slice(2).join('|'));\n",
  );
});
afterAll(() => rm(checkout, { recursive: true, force: true }));

const older = version === undefined || Number(version.split('.')[0]) >= 24;
const args = ['matrix', '--arch-list', '9.0 12.0'];

it.skipIf(older)(
  `stops at once on an older Node (${systemNode} ${version ?? 'missing'}) and says the command that works`,
  async () => {
    const entry = 'dist/cli/index.mjs';
    const before = await run(systemNode, [entry, ...args], { cwd: checkout }).catch((error) => error);
    expect(before.code).toBe(1);
    expect(before.stderr).toBe(
      `sagewheels needs Node 24 (found ${version}); npm ci in the checkout brings it, then: node_modules/.bin/node dist/cli/index.mjs matrix --arch-list '9.0 12.0'\n`,
    );
    // What npm ci brings: the node package's Node 24 as node_modules/.bin/node.
    await mkdir(path.join(checkout, 'node_modules/.bin'), { recursive: true });
    await symlink(process.execPath, path.join(checkout, 'node_modules/.bin/node'));
    const after = await run(systemNode, [entry, ...args], { cwd: checkout }).catch((error) => error);
    const command = /runs it: (.*)\n$/.exec(after.stderr)?.[1];
    expect(command).toBe("node_modules/.bin/node dist/cli/index.mjs matrix --arch-list '9.0 12.0'");
    // The command, as a shell reads it, runs the CLI on Node 24 with the same arguments.
    const { stdout } = await run('/bin/sh', ['-c', command!], { cwd: checkout });
    expect(stdout).toBe('function matrix|--arch-list|9.0 12.0\n');
  },
);

it('runs the CLI on Node 24', async () => {
  const { stdout } = await run(process.execPath, [path.join(dir, 'index.mjs')]);
  expect(stdout).toBe('function \n');
});

it("asks for package.json's engines.node", async () => {
  const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
  const check = await readFile(path.join(root, 'src/cli/node-check.mjs'), 'utf8');
  expect(pkg.engines.node).toBe(`>=${/const NEEDED = (\d+);/.exec(check)?.[1]}`);
});
