import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { which } from '../../src/builder/which';
import { ConfigurationError } from '../../src/core/errors';
import { runChecked } from '../../src/core/exec';
import { compareVersions } from '../../src/core/version';
import { findPython } from '../../src/python/interpreter';
import { createVenv } from '../../src/python/venv';
import { readElfNeeds } from '../../src/verify/binary';
import { inspectWheel } from '../../src/wheel/integrity';
import { chooseLinuxTag, judgeLinuxWheel, unreadElf, wheelElfFiles } from '../../src/wheel/manylinux';
import { judge, POLICIES, policyTag, violations, type ElfFile } from '../../src/wheel/policy';
import { relabelWheel } from '../../src/wheel/relabel';
import { readZip, type ZipItem } from '../../src/wheel/zip';
import { recordingContext } from '../helpers/context';
import { offlinePipEnv } from '../helpers/offline-pip';
import { buildFixtureWheel, FIXTURES, removeScratch, scratch, writeWheel } from '../verify/fixtures';

// Real ELF files from the real compiler and linker: one that needs only old glibc, one that needs
// a GLIBC_2.99 no system has (linked against a stand-in libc.so.6 with that version node), one
// that needs a library no manylinux system provides, and the cudapkg fixture built with nvcc.
let dir: string;
let old: Buffer;
let future: Buffer;
let foreign: Buffer;
let fixture: string;

async function cc(name: string, source: string, args: string[] = []): Promise<string> {
  const c = path.join(dir, `${name}.c`);
  await writeFile(c, source);
  const out = path.join(dir, name);
  await runChecked('cc', ['-shared', '-fPIC', c, '-o', out, ...args]);
  return out;
}

/** `readelf -V`'s needed versions and `readelf -d`'s NEEDED: an independent reading of the same file. */
async function readelf(file: string): Promise<{ needed: string[]; versions: string[] }> {
  const dynamic = (await runChecked('readelf', ['-d', '-W', file])).stdout;
  const versions = (await runChecked('readelf', ['-V', '-W', file])).stdout;
  const needsPart = versions.slice(versions.indexOf('.gnu.version_r'));
  return {
    needed: [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]!),
    versions: [...needsPart.matchAll(/Name: (\S+)\s+Flags/g)].map((m) => m[1]!).sort(),
  };
}

const asWheel = (name: string, so: Buffer, extra: ZipItem[] = []): Promise<string> => {
  const info = 'demo-1.0.dist-info';
  const text = (file: string, body: string): ZipItem => ({ name: file, data: Buffer.from(body), mode: 0o644 });
  return writeWheel(path.join(dir, name, 'demo-1.0-cp312-cp312-linux_x86_64.whl'), [
    { name: 'demo/_ext.cpython-312-x86_64-linux-gnu.so', data: so, mode: 0o755 },
    ...extra,
    text(`${info}/METADATA`, 'Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n'),
    text(`${info}/WHEEL`, 'Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: cp312-cp312-linux_x86_64\n'),
  ]);
};

beforeAll(async () => {
  dir = await scratch('manylinux');
  old = await readFile(await cc('old.so', 'int puts(const char *);\nint hello(void) { return puts("hi"); }\n'));

  await mkdir(path.join(dir, 'stub'));
  await writeFile(path.join(dir, 'future.map'), 'GLIBC_2.99 { global: sagewheels_future; local: *; };\n');
  await cc('stub/libc.so.6', 'int sagewheels_future(void) { return 1; }\n', [
    `-Wl,--version-script=${path.join(dir, 'future.map')}`,
    '-Wl,-soname,libc.so.6',
    '-nostdlib',
  ]);
  future = await readFile(
    await cc('future.so', 'int sagewheels_future(void);\nint f(void) { return sagewheels_future(); }\n', [
      path.join(dir, 'stub', 'libc.so.6'),
    ]),
  );

  const libfoo = await cc('libfoo.so.1', 'int foo(void) { return 2; }\n', ['-Wl,-soname,libfoo.so.1']);
  const libcudart = await cc('libcudart.so.13', 'int cudart(void) { return 3; }\n', ['-Wl,-soname,libcudart.so.13']);
  foreign = await readFile(
    await cc('foreign.so', 'int foo(void);\nint cudart(void);\nint g(void) { return foo() + cudart(); }\n', [
      libfoo,
      libcudart,
    ]),
  );
  fixture = await buildFixtureWheel(path.join(FIXTURES, 'cudapkg'), '9.0');
}, 300_000);
afterAll(removeScratch);

describe('readElfNeeds', () => {
  it('reads DT_NEEDED and the needed symbol versions as readelf does', async () => {
    for (const name of ['old.so', 'future.so', 'foreign.so']) {
      const file = path.join(dir, name);
      const needs = readElfNeeds(await readFile(file));
      const expected = await readelf(file);
      expect(needs.machine).toBe('x86_64');
      expect(needs.needed, name).toEqual(expected.needed);
      expect(needs.versions.map((v) => v.version).sort(), name).toEqual(expected.versions);
    }
    expect(readElfNeeds(future).versions).toEqual([{ library: 'libc.so.6', version: 'GLIBC_2.99' }]);
  });
});

describe('the manylinux policy', () => {
  const file = (so: Buffer): ElfFile => ({ path: 'demo/_ext.so', ...readElfNeeds(so) });

  it('gives a library that needs only old glibc symbols the oldest policy', () => {
    const verdict = judge('x86_64', [file(old)]);
    expect(verdict.policy?.name).toBe('manylinux_2_5');
    expect(policyTag(verdict.policy!, 'x86_64')).toBe('manylinux_2_5_x86_64.manylinux1_x86_64');
    // The same file is no aarch64 library.
    expect(
      violations(
        POLICIES.find((p) => p.name === 'manylinux_2_28')!,
        'aarch64',
        [file(old)],
      ),
    ).toEqual(['demo/_ext.so is built for x86_64, not aarch64']);
  });

  it('keeps a file that needs GLIBC_2.99 off every policy, naming the symbol', () => {
    const verdict = judge('x86_64', [file(future)]);
    expect(verdict.policy).toBeUndefined();
    expect(verdict.glibc).toBe('2.99');
    expect(verdict.blockers).toEqual([
      'demo/_ext.so needs GLIBC_2.99 (from libc.so.6), newer than manylinux_2_41 allows (GLIBC_2.41)',
    ]);
  });

  it('holds a binary too large to read under no policy, saying why', () => {
    const verdict = judge('x86_64', [file(old), { path: 'demo.libs/libhuge.so', ...unreadElf(600 * 2 ** 20) }]);
    expect(verdict.policy).toBeUndefined();
    expect(verdict.blockers).toEqual([
      'demo.libs/libhuge.so could not be read: it is 629145600 bytes, and sagewheels reads binaries up to 512 MiB',
    ]);
  });

  it("counts torch's and CUDA's libraries and the wheel's own as provided, and no other library", () => {
    expect(judge('x86_64', [file(foreign)]).blockers).toEqual([
      'demo/_ext.so needs libfoo.so.1, which manylinux_2_41 systems do not provide',
    ]);
    const bundled = judge('x86_64', [file(foreign), { path: 'demo.libs/libfoo.so.1', ...readElfNeeds(old) }]);
    expect(bundled.policy?.name).toBe('manylinux_2_5');
  });
});

// Real aarch64 libraries, linked by Debian's cross linker against its aarch64 glibc 2.36
// (apt install gcc-aarch64-linux-gnu); without it these are skipped.
const crossGcc = which('aarch64-linux-gnu-gcc', process.env);
const armLibc = '/usr/aarch64-linux-gnu/lib/libc.so.6';
const cross = crossGcc && existsSync(armLibc);

describe(`aarch64 wheels${cross ? '' : ' (skipped: no aarch64-linux-gnu-gcc with its libc; apt install gcc-aarch64-linux-gnu)'}`, () => {
  it.skipIf(!cross)('get the oldest aarch64 policy their glibc symbols allow', async () => {
    const arm = async (name: string, source: string) => {
      const c = path.join(dir, `${name}.c`);
      await writeFile(c, source);
      await runChecked(crossGcc!, ['-shared', '-fPIC', '-nostdlib', c, armLibc, '-o', path.join(dir, name)]);
      const data = await readFile(path.join(dir, name));
      return writeWheel(path.join(dir, `wheel-${name}`, 'demo-1.0-cp312-cp312-linux_aarch64.whl'), [
        { name: 'demo/_ext.cpython-312-aarch64-linux-gnu.so', data, mode: 0o755 },
        {
          name: 'demo-1.0.dist-info/METADATA',
          data: Buffer.from('Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n'),
          mode: 0o644,
        },
        {
          name: 'demo-1.0.dist-info/WHEEL',
          data: Buffer.from('Wheel-Version: 1.0\nTag: cp312-cp312-linux_aarch64\n'),
          mode: 0o644,
        },
      ]);
    };
    const old = await arm('arm-puts.so', 'int puts(const char *);\nint hello(void) { return puts("hi"); }\n');
    const threads = await arm(
      'arm-threads.so',
      'int pthread_create(void *, void *, void *(*)(void *), void *);\nstatic void *run(void *a) { return a; }\nint start(void *t) { return pthread_create(t, 0, run, 0); }\n',
    );
    const log = recordingContext().log;
    expect((await wheelElfFiles(old))[0]).toMatchObject({ machine: 'aarch64', needed: ['libc.so.6'] });
    // aarch64 glibc starts at 2.17: its oldest policy is manylinux2014.
    expect(await chooseLinuxTag(old, 'auto', log)).toBe('manylinux_2_17_aarch64.manylinux2014_aarch64');
    // pthread_create moved into libc.so.6 at GLIBC_2.34.
    expect(await chooseLinuxTag(threads, 'auto', log)).toBe('manylinux_2_34_aarch64');
    await expect(chooseLinuxTag(threads, 'manylinux_2_28', log)).rejects.toThrow(
      /needs GLIBC_2\.34 \(from libc\.so\.6\), newer than manylinux_2_28 allows \(GLIBC_2\.28\)/,
    );
  });
});

describe('retagging a built wheel', () => {
  it('keeps linux_x86_64 for a wheel that needs GLIBC_2.99 and says why; an explicit tag fails naming the symbol', async () => {
    const wheel = await asWheel('future', future);
    const ctx = recordingContext();
    expect(await chooseLinuxTag(wheel, 'auto', ctx.log)).toBeUndefined();
    expect(ctx.lines.filter((l) => l.level === 'warning').map((l) => l.message)).toEqual([
      'keeping linux_x86_64: no manylinux policy holds: demo/_ext.cpython-312-x86_64-linux-gnu.so needs GLIBC_2.99 (from libc.so.6), newer than manylinux_2_41 allows (GLIBC_2.41)',
    ]);
    const refused = await chooseLinuxTag(wheel, 'manylinux_2_28', ctx.log).catch((e: Error) => e);
    expect(refused).toBeInstanceOf(ConfigurationError);
    expect((refused as Error).message).toBe(
      'platform-tag: manylinux_2_28 cannot be given: demo/_ext.cpython-312-x86_64-linux-gnu.so needs GLIBC_2.99 (from libc.so.6), newer than manylinux_2_28 allows (GLIBC_2.28). Use auto or linux, or build on an older system (a manylinux_2_28 container)',
    );
    expect(await chooseLinuxTag(wheel, 'linux', ctx.log)).toBeUndefined();
  });

  it('gives the cudapkg fixture built with real nvcc the manylinux tag its symbols allow, and pip installs the retagged wheel', async () => {
    const so = (await readZip(fixture)).find((i) => i.name.endsWith('.so'))!;
    const extracted = path.join(dir, 'kernels.so');
    await writeFile(extracted, so.data);
    // What readelf says the module needs from the system, held against the policy table by hand.
    const { versions } = await readelf(extracted);
    const newest = (family: string) =>
      versions
        .filter((v) => v.startsWith(`${family}_`) && /^[\d.]+$/.test(v.slice(family.length + 1)))
        .map((v) => v.slice(family.length + 1))
        .sort(compareVersions)
        .pop();
    const glibc = newest('GLIBC')!;
    const lowest = POLICIES.find(
      (p) =>
        compareVersions(p.ceilings.x86_64!.GLIBC, glibc) >= 0 &&
        compareVersions(p.ceilings.x86_64!.GLIBCXX || '0', newest('GLIBCXX') ?? '0') >= 0 &&
        compareVersions(p.ceilings.x86_64!.CXXABI || '0', newest('CXXABI') ?? '0') >= 0,
    )!;

    const ctx = recordingContext();
    const tag = await chooseLinuxTag(fixture, 'auto', ctx.log);
    expect(tag).toBe(policyTag(lowest, 'x86_64'));
    expect(ctx.text()).toContain(`installs on glibc >= ${lowest.glibc}`);

    const out = await scratch('retagged');
    const retagged = await relabelWheel(fixture, { label: 'cu130', platform: tag }, out);
    expect(path.basename(retagged)).toBe(`cudapkg-0.1.0+cu130-cp312-cp312-${tag}.whl`);
    const inspected = await inspectWheel(retagged);
    expect(inspected.problems).toEqual([]);
    expect(inspected.tags).toEqual(tag!.split('.').map((t) => `cp312-cp312-${t}`));
    // pip checks the tag against this machine (glibc 2.36) before it installs.
    const venv = await createVenv(await findPython('3.12'), path.join(out, 'venv'));
    const env = { ...process.env, ...offlinePipEnv() };
    await runChecked(venv.executable, ['-m', 'pip', 'install', '--no-deps', '-q', retagged], { env });

    // Tagged for an older system than it needs, verify's check names what breaks the promise.
    const promised = await relabelWheel(fixture, { platform: 'manylinux_2_17_x86_64.manylinux2014_x86_64' }, out);
    const judged = judgeLinuxWheel(
      'manylinux_2_17_x86_64.manylinux2014_x86_64',
      (await wheelElfFiles(promised)).map(({ path: p, ...elf }) => ({ path: p, elf })),
    )!;
    expect(judged.report).toMatchObject({ glibc: lowest.glibc, policy: lowest.name });
    if (compareVersions(lowest.glibc, '2.17') > 0) {
      expect(judged.problems[0]).toMatch(
        new RegExp(`^the tag manylinux_2_17_x86_64 promises glibc 2\\.17, but cudapkg/_kernels\\S+ needs GLIBC_`),
      );
    }
  });
});
