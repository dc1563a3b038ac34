import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWheel } from '../../src/verify/wheel';
import { checkWheel, inspectWheel } from '../../src/wheel/integrity';
import { ZIP_LIMITS } from '../../src/wheel/zip';
import { writeManyEntryWheel } from '../helpers/many-entries';
import { writeWheel } from '../verify/fixtures';

let dir: string;
let huge: string; // 400,000 empty files, RECORD listing none of them: the stack overflow of issue 29

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sagewheels-archive-limits-'));
  huge = path.join(dir, 'huge', 'many-1.0-py3-none-any.whl');
  await writeManyEntryWheel(huge, 400_000, 'its own files only');
}, 300_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('archives past the limits', () => {
  it("refuses a wheel of 400,000 entries in verify's reading and publish's check, at once", async () => {
    const refusal = /^many-1\.0-py3-none-any\.whl: holds 400003 entries, more than the 100000 an archive may hold here/;
    const started = Date.now();
    await expect(readWheel(huge)).rejects.toThrow(refusal);
    await expect(checkWheel(huge)).rejects.toThrow(refusal);
    // Refused from the end of central directory record, before any entry is read.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(ZIP_LIMITS.entries).toBe(100_000);
  });

  it('reads a wheel of as many entries as the limit allows, and not one more', async () => {
    const wheel = path.join(dir, 'edge', 'many-1.0-py3-none-any.whl');
    await writeManyEntryWheel(wheel, 1_997); // + METADATA, WHEEL, RECORD
    const limits = { ...ZIP_LIMITS, entries: 2_000 };
    const read = await inspectWheel(wheel, { limits });
    expect(read.entries).toHaveLength(2_000);
    expect(read.problems).toEqual([]);
    await expect(inspectWheel(wheel, { limits: { ...limits, entries: 1_999 } })).rejects.toThrow(
      /holds 2000 entries, more than the 1999 an archive may hold here/,
    );
  });

  it('refuses a wheel whose entries inflate past the size limit, before reading past it', async () => {
    const info = 'bomb-1.0.dist-info';
    const text = (name: string, body: string) => ({ name, data: Buffer.from(body), mode: 0o644 });
    const wheel = await writeWheel(path.join(dir, 'bomb', 'bomb-1.0-py3-none-any.whl'), [
      { name: 'bomb/zeros.bin', data: Buffer.alloc(8 * 2 ** 20), mode: 0o644 },
      text(`${info}/METADATA`, 'Metadata-Version: 2.1\nName: bomb\nVersion: 1.0\n'),
      text(`${info}/WHEEL`, 'Wheel-Version: 1.0\nGenerator: t\nRoot-Is-Purelib: true\nTag: py3-none-any\n'),
    ]);
    expect((await inspectWheel(wheel)).problems).toEqual([]);
    await expect(inspectWheel(wheel, { limits: { entries: 10, uncompressed: 4 * 2 ** 20 } })).rejects.toThrow(
      /^bomb-1\.0-py3-none-any\.whl: inflates to more than 4 MiB, the most an archive may inflate to here/,
    );
  });

  it('says in a few lines that RECORD disagrees with thousands of files', async () => {
    const wheel = path.join(dir, 'unlisted', 'many-1.0-py3-none-any.whl');
    await writeManyEntryWheel(wheel, 5_000, 'its own files only');
    const { problems } = await inspectWheel(wheel);
    expect(problems).toHaveLength(21);
    expect(problems[0]).toBe('many/f0.txt is in the archive but not in RECORD');
    expect(problems[20]).toBe('and 4980 more files that disagree with RECORD');
  });
});
