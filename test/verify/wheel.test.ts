import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRecord } from '../../src/wheel/record';
import { readZip, writeZip, type ZipItem } from '../../src/wheel/zip';
import { expandTags, extensionModules, parseHeaders, readWheel, topLevelNames } from '../../src/verify/wheel';
import { buildFixtureWheel, FIXTURES, removeScratch, scratch } from './fixtures';

// One real wheel of the cudapkg fixture, and variants of it with one thing wrong each.
let wheel: string;
let items: ZipItem[];
let dir: string;
const NAME = 'cudapkg-0.1.0-cp312-cp312-linux_x86_64.whl';

beforeAll(async () => {
  wheel = await buildFixtureWheel(path.join(FIXTURES, 'cudapkg'), '9.0;12.0');
  items = await readZip(wheel);
  dir = await scratch('wheels');
}, 300_000);
afterAll(removeScratch);

async function variant(name: string, change: (items: ZipItem[]) => ZipItem[], folder = name): Promise<string> {
  const file = path.join(dir, folder, name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeZip(file, change(items.map((i) => ({ ...i }))));
  return file;
}

describe('readWheel', () => {
  it('accepts the wheel pip wheel built, and finds its extension module and package', async () => {
    expect(path.basename(wheel)).toBe(NAME);
    const archive = await readWheel(wheel);
    expect(archive.problems).toEqual([]);
    expect(archive.project).toBe('cudapkg');
    expect(extensionModules(archive).map((m) => [m.module, m.path])).toEqual([
      ['cudapkg._kernels', 'cudapkg/_kernels.cpython-312-x86_64-linux-gnu.so'],
    ]);
    expect(topLevelNames(archive)).toEqual(['cudapkg']);
  });

  it('refuses a truncated archive and an entry that climbs out of the folder', async () => {
    const bytes = await readFile(wheel);
    const cut = path.join(dir, 'cut', NAME);
    await mkdir(path.dirname(cut));
    await writeFile(cut, bytes.subarray(0, bytes.length - 200));
    await expect(readWheel(cut)).rejects.toThrow(/not a readable zip archive/);

    const planted = await variant(
      NAME,
      (all) => [...all, { name: 'zz/evil.py', data: Buffer.from('x'), mode: 0o644 }],
      'evil',
    );
    const evil = Buffer.from(
      (await readFile(planted)).toString('latin1').replaceAll('zz/evil.py', '../evil.py'),
      'latin1',
    );
    await writeFile(planted, evil);
    await expect(readWheel(planted)).rejects.toThrow(/invalid relative path: \.\.\/evil\.py/);
  });

  it('finds a file that does not match RECORD, and files RECORD leaves out or invents', async () => {
    const tampered = await variant(
      NAME,
      (all) => {
        const so = all.find((i) => i.name.endsWith('.so'))!;
        so.data = Buffer.concat([so.data, Buffer.from([0])]);
        return [...all, { name: 'cudapkg/extra.py', data: Buffer.from(''), mode: 0o644 }].filter(
          (i) => i.name !== 'cudapkg/__init__.py',
        );
      },
      'tampered',
    );
    const { problems } = await readWheel(tampered);
    expect(problems).toEqual([
      'RECORD lists cudapkg/__init__.py, which is not in the archive',
      expect.stringMatching(
        /^cudapkg\/_kernels\.cpython-312-x86_64-linux-gnu\.so does not match its RECORD hash \(sha256=/,
      ),
      'cudapkg/extra.py is in the archive but not in RECORD',
    ]);
  });

  it('finds a file name whose version and tags disagree with METADATA and WHEEL', async () => {
    const renamed = path.join(dir, 'renamed', 'cudapkg-0.1.0+cu130torch2.11.0-cp311-cp311-linux_x86_64.whl');
    await mkdir(path.dirname(renamed));
    await copyFile(wheel, renamed);
    expect((await readWheel(renamed)).problems).toEqual([
      'the file name says version 0.1.0+cu130torch2.11.0, METADATA says 0.1.0 (pip and uv refuse the wheel)',
      'the metadata folder cudapkg-0.1.0.dist-info does not match the file name',
      "the file name's tags (cp311-cp311-linux_x86_64) differ from WHEEL's Tag lines (cp312-cp312-linux_x86_64)",
    ]);
  });

  it('refuses a wheel without one metadata folder', async () => {
    const bare = await variant(NAME, (all) => all.filter((i) => !i.name.includes('.dist-info/')), 'bare');
    await expect(readWheel(bare)).rejects.toThrow(/expected one \.dist-info folder, found none/);
  });
});

describe('wheel metadata helpers', () => {
  it('reads RFC 822 headers up to the body, and expands compressed tag sets', () => {
    const headers = parseHeaders('Metadata-Version: 2.1\nName: a\nClassifier: x\nClassifier: y\n\nName: body\n');
    expect(headers.get('name')).toEqual(['a']);
    expect(headers.get('classifier')).toEqual(['x', 'y']);
    expect(expandTags({ distribution: 'a', version: '1', python: 'py2.py3', abi: 'none', platform: 'any' })).toEqual([
      'py2-none-any',
      'py3-none-any',
    ]);
  });

  it('names modules under .data/platlib and leaves out libraries no import reaches', async () => {
    const record = items.find((i) => i.name.endsWith('RECORD'))!;
    expect(parseRecord(record.data.toString()).length).toBe(items.length);
    const archive = {
      file: '',
      name: { distribution: 'x', version: '1', python: 'cp312', abi: 'cp312', platform: 'win_amd64' },
      project: 'x',
      problems: [],
      entries: [
        { name: 'x-1.data/platlib/fast/_impl.cp312-win_amd64.pyd' },
        { name: 'x.libs/libcudart-1a2b.so.13' },
        { name: 'x-1.data/scripts/tool.so' },
        { name: 'top.abi3.so' },
      ],
      binaries: [],
    };
    expect(extensionModules(archive).map((m) => m.module)).toEqual(['fast._impl', 'top']);
    expect(topLevelNames(archive)).toEqual(['fast', 'top']);
  });
});
