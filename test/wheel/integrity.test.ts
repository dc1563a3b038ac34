import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { ConfigurationError } from '../../src/core/errors';
import { findWheels } from '../../src/publish/wheels';
import { checkWheel, inspectWheel, patternFolder } from '../../src/wheel/integrity';
import { formatRecord, recordHash } from '../../src/wheel/record';
import { writeZip, type ZipItem } from '../../src/wheel/zip';

// Small real wheels written as a build tool writes them, each with one thing wrong.
let dir: string;
const NAME = 'demo-1.0+cu130-cp312-cp312-linux_x86_64.whl';
const INFO = 'demo-1.0+cu130.dist-info';
const item = (name: string, text: string | Buffer): ZipItem => ({
  name,
  data: Buffer.isBuffer(text) ? text : Buffer.from(text),
  mode: 0o644,
});

function wheelItems(overrides: { metadata?: string; wheel?: string } = {}): ZipItem[] {
  return [
    item('demo/__init__.py', 'open("ran", "w").write("code of the wheel ran")\n'),
    item(`${INFO}/METADATA`, overrides.metadata ?? 'Metadata-Version: 2.1\nName: demo\nVersion: 1.0+cu130\n'),
    item(
      `${INFO}/WHEEL`,
      overrides.wheel ?? 'Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: cp312-cp312-linux_x86_64\n',
    ),
  ];
}

/** Writes the items with a RECORD that matches them, then applies `tamper` to the items after RECORD was made. */
async function writeWheel(
  file: string,
  items: ZipItem[],
  tamper: (items: ZipItem[]) => ZipItem[] = (i) => i,
): Promise<string> {
  const rows = items.map((i) => ({ path: i.name, hash: recordHash(i.data), size: String(i.data.length) }));
  const record = item(`${INFO}/RECORD`, formatRecord([...rows, { path: `${INFO}/RECORD`, hash: '', size: '' }]));
  await mkdir(path.dirname(file), { recursive: true });
  await writeZip(file, [...tamper(items.map((i) => ({ ...i }))), record]);
  return file;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'integrity-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('inspectWheel', () => {
  it('accepts a whole wheel and says what it is', async () => {
    const file = await writeWheel(path.join(dir, 'good', NAME), wheelItems());
    const wheel = await checkWheel(file);
    expect(wheel).toMatchObject({
      project: 'demo',
      version: '1.0+cu130',
      tags: ['cp312-cp312-linux_x86_64'],
      problems: [],
    });
    expect(wheel.entries.map((e) => e.name)).toEqual([
      'demo/__init__.py',
      `${INFO}/METADATA`,
      `${INFO}/WHEEL`,
      `${INFO}/RECORD`,
    ]);
  });

  it('refuses a truncated zip', async () => {
    const good = await writeWheel(path.join(dir, 'good2', NAME), wheelItems());
    const cut = path.join(dir, 'cut', NAME);
    await mkdir(path.dirname(cut));
    const bytes = await readFile(good);
    await writeFile(cut, bytes.subarray(0, bytes.length - 30));
    await expect(inspectWheel(cut)).rejects.toThrow(/not a readable zip archive/);
  });

  it('finds files whose bytes or sizes differ from RECORD', async () => {
    const file = await writeWheel(path.join(dir, 'tampered', NAME), wheelItems(), (items) =>
      items.map((i) =>
        i.name === 'demo/__init__.py' ? { ...i, data: Buffer.from('import os; os.system("id")\n') } : i,
      ),
    );
    const { problems } = await inspectWheel(file);
    expect(problems).toEqual([expect.stringMatching(/^demo\/__init__\.py does not match its RECORD hash \(sha256=/)]);
    await expect(checkWheel(file)).rejects.toThrow(`${NAME}: demo/__init__.py does not match its RECORD hash`);

    // Same hash, wrong size in RECORD: a hand-edited RECORD.
    const items = wheelItems();
    const rows = items.map((i) => ({ path: i.name, hash: recordHash(i.data), size: String(i.data.length + 1) }));
    const sized = path.join(dir, 'sized', NAME);
    await mkdir(path.dirname(sized));
    await writeZip(sized, [...items, item(`${INFO}/RECORD`, formatRecord(rows))]);
    expect((await inspectWheel(sized)).problems[0]).toMatch(/^demo\/__init__\.py is \d+ bytes, RECORD says \d+$/);
  });

  it('finds a name and version that METADATA and WHEEL do not agree with', async () => {
    const file = await writeWheel(
      path.join(dir, 'named', NAME),
      wheelItems({
        metadata: 'Metadata-Version: 2.1\nName: UNKNOWN\nVersion: 0.0.0\n',
        wheel: 'Wheel-Version: 1.0\nTag: cp311-cp311-linux_x86_64\n',
      }),
    );
    expect((await inspectWheel(file)).problems).toEqual([
      "METADATA names the project UNKNOWN: the build backend did not read the project's metadata",
      'the file name says project "demo", METADATA says "UNKNOWN"',
      'the file name says version 1.0+cu130, METADATA says 0.0.0 (pip and uv refuse the wheel)',
      "the file name's tags (cp312-cp312-linux_x86_64) differ from WHEEL's Tag lines (cp311-cp311-linux_x86_64)",
    ]);
  });

  it('finds an UNKNOWN-0.0.0 wheel whose name agrees with its METADATA (issue 12: verify passed it)', async () => {
    const info = 'UNKNOWN-0.0.0+cu130.dist-info';
    const items = [
      item('cudapkg/__init__.py', ''),
      item(`${info}/METADATA`, 'Metadata-Version: 2.1\nName: UNKNOWN\nVersion: 0.0.0+cu130\n'),
      item(`${info}/WHEEL`, 'Wheel-Version: 1.0\nTag: cp39-cp39-linux_x86_64\n'),
    ];
    const rows = items.map((i) => ({ path: i.name, hash: recordHash(i.data), size: String(i.data.length) }));
    const file = path.join(dir, 'unknown', 'UNKNOWN-0.0.0+cu130-cp39-cp39-linux_x86_64.whl');
    await mkdir(path.dirname(file));
    const record = formatRecord([...rows, { path: `${info}/RECORD`, hash: '', size: '' }]);
    await writeZip(file, [...items, item(`${info}/RECORD`, record)]);
    expect((await inspectWheel(file)).problems).toEqual([
      "METADATA names the project UNKNOWN: the build backend did not read the project's metadata",
    ]);
  });

  it('refuses a symbolic link, and a wheel that lies outside the folders given', async () => {
    const secret = path.join(dir, 'secret.txt');
    await writeFile(secret, 'token=ghs_not_for_release\n');
    const linked = path.join(dir, 'links', NAME);
    await mkdir(path.dirname(linked));
    await symlink(secret, linked);
    await expect(inspectWheel(linked)).rejects.toThrow(`${NAME} is a symbolic link; only regular wheel files are read`);

    // A folder inside the given one that is a link to elsewhere.
    const elsewhere = await writeWheel(path.join(dir, 'elsewhere', NAME), wheelItems());
    const given = path.join(dir, 'given');
    await mkdir(given);
    await symlink(path.dirname(elsewhere), path.join(given, 'sub'));
    await expect(inspectWheel(path.join(given, 'sub', NAME), { within: [given] })).rejects.toThrow(
      `${NAME} lies at ${elsewhere}, outside ${given}`,
    );
    expect(patternFolder('sub/**/*.whl', given)).toBe(path.join(given, 'sub'));
    expect(patternFolder('dist/x.whl', given)).toBe(path.join(given, 'dist'));
  });

  it('reads a wheel that inflates to 1 GiB with memory bounded by a constant, and caps what it hands to a binary reader', async () => {
    // One entry of zeros (ELF magic first, so it counts as a binary): 1 GiB inflated, about 1 MiB in the zip.
    const size = 2 ** 30;
    const head = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
    const zeros = () =>
      Readable.from(
        (function* () {
          yield head;
          const chunk = Buffer.alloc(2 ** 20);
          for (let left = size - head.length; left > 0; left -= chunk.length)
            yield chunk.subarray(0, Math.min(left, chunk.length));
        })(),
      );
    // RECORD's hash of the big entry, computed as a stream too.
    const { createHash } = await import('node:crypto');
    const hash = createHash('sha256');
    for await (const chunk of zeros()) hash.update(chunk as Buffer);
    const meta = wheelItems().slice(1);
    const rows = [
      { path: 'demo/_big.so', hash: `sha256=${hash.digest('base64url')}`, size: String(size) },
      ...meta.map((i) => ({ path: i.name, hash: recordHash(i.data), size: String(i.data.length) })),
      { path: `${INFO}/RECORD`, hash: '', size: '' },
    ];
    const file = path.join(dir, 'bomb', NAME);
    await mkdir(path.dirname(file));
    const zip = new yazl.ZipFile();
    zip.addReadStream(zeros(), 'demo/_big.so', { size });
    for (const i of [...meta, item(`${INFO}/RECORD`, formatRecord(rows))]) zip.addBuffer(i.data, i.name);
    zip.end();
    await pipeline(zip.outputStream, createWriteStream(file));

    const before = process.memoryUsage();
    let peak = 0;
    const sampler = setInterval(() => {
      const now = process.memoryUsage();
      peak = Math.max(peak, now.arrayBuffers - before.arrayBuffers, now.rss - before.rss);
    }, 5);
    const handed: { name: string; data?: Buffer; size: number }[] = [];
    try {
      const wheel = await inspectWheel(file, {
        binary: (name, data, bytes) => void handed.push({ name, data, size: bytes }),
        binaryCap: 8 * 2 ** 20,
      });
      expect(wheel.problems).toEqual([]);
    } finally {
      clearInterval(sampler);
    }
    expect(handed).toEqual([{ name: 'demo/_big.so', data: undefined, size }]);
    // The whole entry in memory would be 1024 MiB; streaming keeps well under a tenth of it.
    expect(peak).toBeLessThan(96 * 2 ** 20);
  }, 120_000);
});

describe("publish's wheels", () => {
  it('refuses a truncated wheel, a RECORD mismatch and a symlinked *.whl, naming the input', async () => {
    const publishDir = path.join(dir, 'publish');
    const refused = async (name: string, make: (file: string) => Promise<unknown>) => {
      const folder = path.join(publishDir, name);
      await mkdir(folder, { recursive: true });
      await make(path.join(folder, NAME));
      return findWheels(['*.whl'], folder).then(
        () => 'accepted',
        (e: Error) => (e instanceof ConfigurationError ? e.message : `not a ConfigurationError: ${e.message}`),
      );
    };
    expect(await refused('whole', (file) => writeWheel(file, wheelItems()))).toBe('accepted');
    expect(
      await refused('cut', async (file) => {
        const bytes = await readFile(await writeWheel(path.join(dir, 'src-cut', NAME), wheelItems()));
        await writeFile(file, bytes.subarray(0, 100));
      }),
    ).toMatch(
      /^wheels: demo-1\.0\+cu130-cp312-cp312-linux_x86_64\.whl: not a readable zip archive: .*Publish only whole wheels, as build wrote them$/,
    );
    expect(
      await refused('record', (file) =>
        writeWheel(file, wheelItems(), (items) =>
          items.map((i) => (i.name.endsWith('__init__.py') ? { ...i, data: Buffer.from('evil = 1\n') } : i)),
        ),
      ),
    ).toMatch(/^wheels: demo-.*\.whl: demo\/__init__\.py does not match its RECORD hash/);
    expect(
      await refused('link', async (file) => {
        await writeFile(path.join(dir, 'id_rsa'), 'PRIVATE KEY');
        await symlink(path.join(dir, 'id_rsa'), file);
      }),
    ).toBe(`wheels: ${path.join(publishDir, 'link', NAME)} is a symbolic link. Give the built .whl files themselves`);
  });
});
