import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatWheelName, localLabel, parseWheelName } from '../../src/wheel/name';
import { formatRecord, parseRecord, recordHash } from '../../src/wheel/record';
import { extractZip, readZip, writeZip } from '../../src/wheel/zip';

describe('wheel names', () => {
  it('parses and formats with and without a build tag', () => {
    const name = 'sageattention-2.2.0+cu128torch2.7.1-cp312-cp312-linux_x86_64.whl';
    const parsed = parseWheelName(`/tmp/out/${name}`);
    expect(parsed).toEqual({
      distribution: 'sageattention',
      version: '2.2.0+cu128torch2.7.1',
      build: undefined,
      python: 'cp312',
      abi: 'cp312',
      platform: 'linux_x86_64',
    });
    expect(formatWheelName(parsed)).toBe(name);
    expect(parseWheelName('a-1-2-py3-none-any.whl').build).toBe('2');
    expect(localLabel(parsed.version)).toBe('cu128torch2.7.1');
    expect(() => parseWheelName('a-1.tar.gz')).toThrow(/not a wheel file name/);
  });
});

describe('RECORD', () => {
  it('hashes like pip and round-trips quoted paths', () => {
    expect(recordHash(Buffer.from('hello'))).toBe('sha256=LPJNul-wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ');
    const rows = [
      { path: 'pkg/a,b.py', hash: 'sha256=x', size: '3' },
      { path: 'pkg-1.dist-info/RECORD', hash: '', size: '' },
    ];
    expect(formatRecord(rows)).toBe('"pkg/a,b.py",sha256=x,3\npkg-1.dist-info/RECORD,,\n');
    expect(parseRecord(formatRecord(rows))).toEqual(rows);
  });
});

describe('zip', () => {
  it('writes, reads back and extracts with modes kept', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'zip-'));
    const file = path.join(dir, 'a.zip');
    await writeZip(file, [
      { name: 'bin/tool', data: Buffer.from('#!/bin/sh\n'), mode: 0o755 },
      { name: 'lib/x.txt', data: Buffer.from('x'), mode: 0 },
    ]);
    const items = await readZip(file);
    expect(items.map((i) => [i.name, i.data.toString(), i.mode])).toEqual([
      ['bin/tool', '#!/bin/sh\n', 0o755],
      ['lib/x.txt', 'x', 0o644],
    ]);
    await extractZip(file, path.join(dir, 'out'));
    expect(await readFile(path.join(dir, 'out/lib/x.txt'), 'utf8')).toBe('x');
  });

  it('refuses a truncated archive and an entry that climbs out', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'zip-'));
    const good = path.join(dir, 'good.zip');
    await writeZip(good, [{ name: 'a.txt', data: Buffer.alloc(5000, 1), mode: 0o644 }]);
    const bytes = await readFile(good);
    await writeFile(path.join(dir, 'cut.zip'), bytes.subarray(0, bytes.length - 30));
    await expect(readZip(path.join(dir, 'cut.zip'))).rejects.toThrow(/not a readable zip archive/);

    // The same bytes with the name patched to climb out of the folder.
    const evil = Buffer.from(
      bytes
        .toString('latin1')
        .replaceAll('a.txt', '../..')
        .replace(/\.\.\/\.\./g, '../ab'),
      'latin1',
    );
    await writeFile(path.join(dir, 'evil.zip'), evil);
    await expect(extractZip(path.join(dir, 'evil.zip'), path.join(dir, 'out'))).rejects.toThrow(
      /invalid relative path|escapes/,
    );
  });
});
