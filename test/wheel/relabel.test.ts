import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runChecked } from '../../src/core/exec';
import { findPython } from '../../src/python/interpreter';
import { createVenv } from '../../src/python/venv';
import { editMetadata, normalizeLocalLabel, relabelWheel } from '../../src/wheel/relabel';
import { parseRecord, recordHash } from '../../src/wheel/record';
import { readZip, writeZip } from '../../src/wheel/zip';
import { offlinePipEnv } from '../helpers/offline-pip';

const METADATA = [
  'Metadata-Version: 2.1',
  'Name: demo-pkg',
  'Version: 1.0.0+old',
  'Requires-Dist: numpy',
  'Requires-Dist: torch',
  'Requires-Dist: Torch (>=2.0) ; extra == "dev"',
  'Provides-Extra: dev',
  '',
  'Version: 9.9 in the description stays',
  '',
].join('\n');

async function demoWheel(dir: string): Promise<string> {
  const file = path.join(dir, 'demo_pkg-1.0.0+old-py3-none-any.whl');
  const info = 'demo_pkg-1.0.0+old.dist-info';
  const items = [
    { name: 'demo_pkg/__init__.py', data: Buffer.from('VALUE = 7\n'), mode: 0o644 },
    { name: 'demo_pkg-1.0.0+old.data/scripts/demo-tool', data: Buffer.from('#!python\nprint(1)\n'), mode: 0o755 },
    { name: `${info}/METADATA`, data: Buffer.from(METADATA), mode: 0o644 },
    {
      name: `${info}/WHEEL`,
      data: Buffer.from('Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n'),
      mode: 0o644,
    },
    { name: `${info}/RECORD.jws`, data: Buffer.from('{}'), mode: 0o644 },
  ];
  const record =
    items.map((i) => `${i.name},${recordHash(i.data)},${i.data.length}`).join('\n') + `\n${info}/RECORD,,\n`;
  await writeZip(file, [...items, { name: `${info}/RECORD`, data: Buffer.from(record), mode: 0o644 }]);
  return file;
}

describe('relabelWheel', () => {
  let dir: string;
  let relabelled: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'relabel-'));
    relabelled = await relabelWheel(
      await demoWheel(dir),
      { label: 'cu128torch2.7.1', requires: ['torch>=2.7,<2.8'] },
      dir,
    );
  });

  it('renames the file and the .dist-info and .data folders, and rewrites METADATA', async () => {
    expect(path.basename(relabelled)).toBe('demo_pkg-1.0.0+cu128torch2.7.1-py3-none-any.whl');
    const items = await readZip(relabelled);
    // A fixed order: the package's files by name, then .dist-info's, RECORD last.
    expect(items.map((i) => i.name)).toEqual([
      'demo_pkg-1.0.0+cu128torch2.7.1.data/scripts/demo-tool',
      'demo_pkg/__init__.py',
      'demo_pkg-1.0.0+cu128torch2.7.1.dist-info/METADATA',
      'demo_pkg-1.0.0+cu128torch2.7.1.dist-info/WHEEL',
      'demo_pkg-1.0.0+cu128torch2.7.1.dist-info/RECORD',
    ]);
    expect(items[0]!.mode).toBe(0o755);
    expect(items[2]!.data.toString()).toBe(
      METADATA.replace('Version: 1.0.0+old', 'Version: 1.0.0+cu128torch2.7.1')
        .replace('Requires-Dist: torch\n', '')
        .replace(
          'Requires-Dist: Torch (>=2.0) ; extra == "dev"\n',
          'Requires-Dist: Torch (>=2.0) ; extra == "dev"\nRequires-Dist: torch>=2.7,<2.8\n',
        ),
    );
  });

  it('writes a RECORD whose every hash and size matches, RECORD itself last and unhashed', async () => {
    const items = await readZip(relabelled);
    const rows = parseRecord(items.at(-1)!.data.toString());
    expect(rows.map((r) => r.path)).toEqual(items.map((i) => i.name));
    for (const item of items.slice(0, -1)) {
      expect(rows.find((r) => r.path === item.name)).toEqual({
        path: item.name,
        hash: recordHash(item.data),
        size: String(item.data.length),
      });
    }
    expect(rows.at(-1)).toEqual({ path: items.at(-1)!.name, hash: '', size: '' });
  });

  it("passes the wheel tool's hash check and installs with pip under the new version", async () => {
    const env = { ...process.env, ...offlinePipEnv() };
    const venv = await createVenv(await findPython('3.11'), path.join(dir, 'venv'));
    await runChecked(venv.executable, ['-m', 'pip', 'install', '-q', 'wheel'], { env });
    await runChecked(venv.executable, ['-m', 'wheel', 'unpack', '--dest', path.join(dir, 'unpacked'), relabelled], {
      env,
    });
    await runChecked(venv.executable, ['-m', 'pip', 'install', '-q', '--no-deps', relabelled], { env });
    const shown = await runChecked(venv.executable, ['-m', 'pip', 'show', 'demo-pkg'], { env });
    expect(shown.stdout).toMatch(/^Version: 1\.0\.0\+cu128torch2\.7\.1$/m);
    expect(shown.stdout).toMatch(/^Requires: numpy, torch$/m);
  });

  it('keeps the version when no label is asked, and only edits requirements', async () => {
    const file = await relabelWheel(await demoWheel(dir), { requires: ['numpy<3'] }, path.join(dir));
    expect(path.basename(file)).toBe('demo_pkg-1.0.0+old-py3-none-any.whl');
    const metadata = (await readZip(file)).find((i) => i.name.endsWith('METADATA'))!.data.toString();
    expect(metadata).toContain(
      'Requires-Dist: torch\nRequires-Dist: Torch (>=2.0) ; extra == "dev"\nRequires-Dist: numpy<3\n',
    );
    expect(metadata).not.toContain('Requires-Dist: numpy\n');
  });
});

describe('relabelling is byte-reproducible', () => {
  /** The same files as another build would zip them: another order, times and umask. */
  async function wheelOf(dir: string, order: 'forward' | 'reverse', umask: number): Promise<string> {
    await mkdir(dir, { recursive: true });
    const info = 'repro-1.0.dist-info';
    let items = [
      { name: 'repro/__init__.py', data: Buffer.from('X = 1\n'), mode: 0o666 & ~umask },
      { name: 'repro/_ext.so', data: Buffer.alloc(300_000, 7), mode: 0o777 & ~umask },
      {
        name: `${info}/METADATA`,
        data: Buffer.from('Metadata-Version: 2.1\nName: repro\nVersion: 1.0\n'),
        mode: 0o644,
      },
      { name: `${info}/WHEEL`, data: Buffer.from('Wheel-Version: 1.0\nTag: py3-none-any\n'), mode: 0o644 },
    ];
    if (order === 'reverse') items = items.reverse();
    const record =
      items.map((i) => `${i.name},${recordHash(i.data)},${i.data.length}`).join('\n') + `\n${info}/RECORD,,\n`;
    const file = path.join(dir, 'repro-1.0-py3-none-any.whl');
    await writeZip(file, [...items, { name: `${info}/RECORD`, data: Buffer.from(record), mode: 0o600 }], {
      mtime: new Date(order === 'forward' ? '2026-01-02T03:04:05Z' : '2026-11-30T12:00:00Z'),
    });
    return file;
  }

  it('gives the same bytes for the same files whatever their order, times and modes, with the given time', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'relabel-repro-'));
    const mtime = new Date('2025-06-01T10:20:30Z');
    const one = await relabelWheel(
      await wheelOf(path.join(dir, 'a'), 'forward', 0o022),
      { label: 'cu130', mtime },
      path.join(dir, 'a'),
    );
    const two = await relabelWheel(
      await wheelOf(path.join(dir, 'b'), 'reverse', 0o002),
      { label: 'cu130', mtime },
      path.join(dir, 'b'),
    );
    const [a, b] = [await readFile(one), await readFile(two)];
    expect(createHash('sha256').update(a).digest('hex')).toBe(createHash('sha256').update(b).digest('hex'));
    // Every entry carries 2025-06-01 10:20:30 (DOS time, UTC) and mode 644 or 755.
    const { stdout } = await runChecked('python3', [
      '-c',
      'import sys, zipfile\nfor i in zipfile.ZipFile(sys.argv[1]).infolist(): print(i.filename, i.date_time, oct(i.external_attr >> 16))',
      one,
    ]);
    expect(stdout.trim().split('\n')).toEqual([
      'repro/__init__.py (2025, 6, 1, 10, 20, 30) 0o100644',
      'repro/_ext.so (2025, 6, 1, 10, 20, 30) 0o100755',
      'repro-1.0+cu130.dist-info/METADATA (2025, 6, 1, 10, 20, 30) 0o100644',
      'repro-1.0+cu130.dist-info/WHEEL (2025, 6, 1, 10, 20, 30) 0o100644',
      'repro-1.0+cu130.dist-info/RECORD (2025, 6, 1, 10, 20, 30) 0o100644',
    ]);
    // Python's zipfile reads it back whole (CRC checked).
    await runChecked('python3', ['-m', 'zipfile', '-t', one]);
  });

  it('refuses a wheel whose file does not match its CRC-32', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'relabel-corrupt-'));
    const file = await wheelOf(dir, 'forward', 0o022);
    const bytes = await readFile(file);
    // The stored _ext.so: runs of 7s deflate to a short stream; flip a byte of its compressed data.
    const at = bytes.indexOf(Buffer.from('repro/_ext.so')) + 'repro/_ext.so'.length + 5;
    bytes[at] = bytes[at]! ^ 0xff;
    await writeFile(file, bytes);
    await expect(relabelWheel(file, { label: 'x' }, dir)).rejects.toThrow(/repro\/_ext\.so|invalid/);
  });
});

describe('local labels and METADATA', () => {
  it('normalizes a label as PEP 440 does, and refuses what cannot be one', () => {
    expect(normalizeLocalLabel('+cu128torch2.7.1')).toBe('cu128torch2.7.1');
    expect(normalizeLocalLabel('CU128_Torch-2.7')).toBe('cu128.torch.2.7');
    for (const bad of ['', '+', 'cu128+torch', 'a..b', 'cu 128', '.cu'])
      expect(normalizeLocalLabel(bad)).toBeUndefined();
  });

  it('adds requirements at the end of the headers when there are none, keeping CRLF', () => {
    expect(editMetadata('Name: x\r\nVersion: 1\r\n\r\nbody', '1+a', ['torch>=2.7,<2.8'])).toBe(
      'Name: x\r\nVersion: 1+a\r\nRequires-Dist: torch>=2.7,<2.8\r\n\r\nbody',
    );
    expect(editMetadata('Name: x\nVersion: 1', '2', [])).toBe('Name: x\nVersion: 2');
  });
});
