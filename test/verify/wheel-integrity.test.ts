import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summaryMarkdown } from '../../src/core/summary';
import { relabelWheel } from '../../src/wheel/relabel';
import { readZip, writeZip } from '../../src/wheel/zip';
import { buildFixtureWheel, FIXTURES, removeScratch, repackWheel, runVerifyStep, scratch } from './fixtures';

// The cudapkg fixture built with nvcc, whose package writes a marker file when it is imported.
let dir: string;
let marker: string;
let honest: string; // RECORD rewritten to match: a wheel that may be installed
let tampered: string; // the same change after RECORD was written
let wheel: string;

beforeAll(async () => {
  wheel = await buildFixtureWheel(path.join(FIXTURES, 'cudapkg'), '9.0');
  dir = await scratch('integrity');
  marker = path.join(dir, 'code-of-the-wheel-ran');
  const planted = Buffer.from(`open(${JSON.stringify(marker)}, "w").write("ran")\n`);
  const change = <T extends { name: string; data: Buffer }>(items: T[]): T[] =>
    items.map((i) => (i.name === 'cudapkg/__init__.py' ? { ...i, data: planted } : i));
  honest = await repackWheel(wheel, path.join(dir, 'honest', path.basename(wheel)), change);
  tampered = path.join(dir, 'tampered', path.basename(wheel));
  await mkdir(path.dirname(tampered));
  await writeZip(tampered, change(await readZip(wheel)));
}, 300_000);
afterAll(removeScratch);

const verify = (raw: Record<string, string>) =>
  runVerifyStep({ package: 'generic', torch: 'none', 'arch-list': '9.0', ...raw });

describe('verify and a wheel that is not what its RECORD says', () => {
  it('never installs or imports it, and says why', async () => {
    const { report, error } = await verify({ wheels: tampered });
    const [checked] = report.wheels;
    expect(checked!.passed).toBe(false);
    expect(checked!.problems[0]).toMatch(/^cudapkg\/__init__\.py does not match its RECORD hash/);
    expect(checked!.import).toEqual({
      status: 'skipped',
      modules: [],
      error: 'the wheel failed its integrity check: not installed',
    });
    expect(existsSync(marker)).toBe(false);
    expect(error?.message).toContain('does not match its RECORD hash');

    // The same code with an honest RECORD is installed and imported: the marker proves the import ran.
    const control = await verify({ wheels: honest });
    expect(control.report.wheels[0]!.import.status).toBe('passed');
    expect(existsSync(marker)).toBe(true);
  });
});

describe("verify and a Linux wheel's glibc floor", () => {
  it('reports the oldest glibc the wheel loads on, in the report and the summary', async () => {
    const { report, ctx, error } = await verify({ wheels: wheel });
    expect(error).toBeUndefined();
    const linux = report.wheels[0]!.linux!;
    expect(linux.policy).toBe(`manylinux_${linux.glibc!.replace('.', '_')}`);
    expect(Number(linux.newest.GLIBC!.split('.')[1])).toBeGreaterThan(2);
    expect(summaryMarkdown(ctx.summary)).toContain(`| glibc | installs on glibc >= ${linux.glibc} (${linux.policy}) |`);
  });

  it('fails a wheel whose tag promises an older system than it needs', async () => {
    const out = await scratch('promised');
    const promised = await relabelWheel(wheel, { platform: 'manylinux_2_17_x86_64.manylinux2014_x86_64' }, out);
    const { report, error } = await verify({ wheels: promised });
    const problems = report.wheels[0]!.problems;
    // This machine's glibc (2.36) puts GLIBC_2.34 symbols into what it links.
    expect(problems).toEqual([
      expect.stringMatching(
        /^the tag manylinux_2_17_x86_64 promises glibc 2\.17, but cudapkg\/_kernels\S+\.so needs GLIBC_2\.\d+ \(from libc\.so\.6\), newer than manylinux_2_17 allows \(GLIBC_2\.17\)/,
      ),
      expect.stringMatching(/^the tag manylinux2014_x86_64 promises glibc 2\.17, but /),
    ]);
    expect(error?.message).toContain('promises glibc 2.17');
  });
});
