import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeSource } from '../../src/torch/load';
import { SNAPSHOT } from '../../src/torch/snapshot';
import { FakePytorchIndex } from '../fakes/pytorch-index';

const root = path.resolve(import.meta.dirname, '../..');
const committed = path.join(root, 'src/torch/snapshot.ts');
let dir: string;
let index: FakePytorchIndex;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sagewheels-snapshot-'));
  index = await new FakePytorchIndex().start();
});
afterAll(async () => {
  await index.stop();
  await rm(dir, { recursive: true, force: true });
});

const snapshot = async (args: string[]) => {
  const out = path.join(dir, `${args.join('_').replace(/\W+/g, '_')}.ts`);
  const run = await promisify(execFile)(
    process.execPath,
    ['scripts/run-ts.mjs', 'scripts/torch-snapshot.ts', '--out', out, ...args],
    { cwd: root },
  );
  return { text: await readFile(out, 'utf8'), stdout: run.stdout };
};
/** The table of a snapshot file, without its date and origin. */
const table = (text: string) => text.slice(text.indexOf('table:'));

describe('npm run snapshot:torch', () => {
  // Once the snapshot is regenerated from the live index, it holds what the index had, not the facts.
  const fromFacts = !SNAPSHOT.from.startsWith('http');

  it('says in the summary when the snapshot was written from facts rather than read from the index', () => {
    expect(describeSource({ kind: 'snapshot', date: SNAPSHOT.date, from: SNAPSHOT.from })).toBe(
      `PyTorch releases: the embedded snapshot of ${SNAPSHOT.date}${fromFacts ? ', written from public facts, not read from the index' : ''} (no request made)`,
    );
  });

  it.skipIf(!fromFacts)(
    'writes the committed snapshot from the facts, so the two cannot drift apart',
    async () => {
      const { text, stdout } = await snapshot(['--from-facts']);
      expect(stdout).toMatch(/14 versions \(2\.5\.0 to 2\.15\.0\)/);
      expect(table(text)).toBe(table(await readFile(committed, 'utf8')));
    },
    60_000,
  );

  it('writes from an index the same table as from the facts its names came from, leaving out versions before 2.5', async () => {
    const { text } = await snapshot(['--index', index.url]);
    expect(index.requests.map((r) => r.path)).toEqual(['/whl/torch/']);
    expect(text).toContain(`from: '${index.url}/torch/'`);
    expect(table(text)).toBe(table((await snapshot(['--from-facts'])).text));
  }, 60_000);

  it('says what to do when the index cannot be reached', async () => {
    index.faults.push({ kind: 'status', status: 503 });
    const error = await snapshot(['--index', index.url]).catch((e: unknown) => e as { stderr: string });
    expect((error as { stderr: string }).stderr).toMatch(
      /HTTP 503 Service Unavailable\nNo network\? Run it with --from-facts/,
    );
  }, 60_000);
});
