import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readList } from '../../src/core/list';
import { findWheels as publishWheels, wheelPatterns } from '../../src/publish/wheels';
import { findWheels as verifyWheels } from '../../src/verify/plan';
import { validWheelFiles } from '../publish/helpers';

describe('readList, the one reader of list inputs', () => {
  it('splits lines by newline or comma, words also by spaces and semicolons, and drops blanks', () => {
    expect(readList(' a b.whl,\n\nc ,')).toEqual(['a b.whl', 'c']);
    expect(readList('2.7.1, 2.8.0\n3.10-3.13;12.8 13.0', 'words')).toEqual([
      '2.7.1',
      '2.8.0',
      '3.10-3.13',
      '12.8',
      '13.0',
    ]);
    expect(readList('')).toEqual([]);
  });

  it("takes a JSON list (build's wheels output, fromJSON) as it is, and refuses a broken one naming the input", () => {
    expect(readList('["/w/a,b.whl", "c.whl"]')).toEqual(['/w/a,b.whl', 'c.whl']);
    expect(readList('[2.7, "2.8.0"]', 'words')).toEqual(['2.7', '2.8.0']);
    expect(readList('[]')).toEqual([]);
    expect(() => readList('["a.whl"', 'lines', 'wheels')).toThrow(
      'wheels: ["a.whl" is not a JSON list of strings. Give a JSON list, or items one per line or comma-separated',
    );
    // A glob that starts with a bracket is not JSON.
    expect(readList('[ab]*.whl')).toEqual(['[ab]*.whl']);
  });
});

describe('the wheels input, read alike by verify and publish', () => {
  let dir = '';
  const name = 'pkg-1.0+cu130-cp312-cp312-linux_x86_64.whl';
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('takes a folder, a glob, a file and a JSON list, and refuses an item that matches nothing', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'wheels-input-'));
    await mkdir(path.join(dir, 'wheelhouse'));
    // A whole wheel: publish checks it (zip, RECORD, METADATA) once it has found it.
    const made = await validWheelFiles([name]);
    await copyFile(made.wheels[0]!.path, path.join(dir, 'wheelhouse', name));
    await rm(made.dir, { recursive: true, force: true });
    await writeFile(path.join(dir, 'wheelhouse', 'notes.txt'), '');
    const full = path.join(dir, 'wheelhouse', name);
    for (const given of ['wheelhouse', 'wheelhouse/*.whl', `wheelhouse/${name}`, JSON.stringify([full])]) {
      expect(await verifyWheels(given, dir)).toEqual([full]);
      expect((await publishWheels(wheelPatterns(given), dir)).map((w) => w.path)).toEqual([full]);
    }
    const nothing =
      'wheels: "wheelhouse/*.tar.gz" matches no wheel file. Give wheel files, a folder of them, or a glob like dist/*.whl';
    await expect(verifyWheels('wheelhouse/*.tar.gz', dir)).rejects.toThrow(nothing);
    await expect(publishWheels(wheelPatterns('wheelhouse/*.tar.gz'), dir)).rejects.toThrow(nothing);
    await expect(verifyWheels('wheelhouse/notes.txt', dir)).rejects.toThrow(
      'wheels: "wheelhouse/notes.txt" is not a .whl file',
    );
  });
});
