import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFatbins, readGpuCode } from '../../src/verify/binary';
import { codeName, readFatbinSection, type FatbinEntry } from '../../src/verify/fatbin';
import { lz4BlockDecode } from '../../src/verify/lz4';
import { removeScratch, scratch } from './fixtures';
import { gencode, nvcc, writeKernels } from './nvcc';
import { buildCoffObject, buildPeDll, fatbinWrapper, IMAGE_BASE, peLayout } from './pe';

// Real nvcc 13.0 output: objects, a linked shared library and bare fatbins.
let dir: string;
const file = (name: string) => readFile(path.join(dir, name));
const names = (entries: FatbinEntry[]) => entries.map((e) => `${codeName(e)}/${e.compression}`);

beforeAll(async () => {
  dir = await scratch('fatbin');
  const { add, scale } = await writeKernels(dir);
  const out = (name: string) => ['-o', path.join(dir, name)];
  const mixed = gencode('sm_80', 'sm_90a', 'compute_120');
  await Promise.all([
    nvcc(['-c', add, ...out('plain.o'), ...mixed, '-Xfatbin', '-compress=false']),
    nvcc(['-c', add, ...out('default.o'), ...mixed]),
  ]);
  await Promise.all([
    nvcc(['-c', add, ...out('zstd.o'), ...mixed, '-Xfatbin', '-compress-all']),
    nvcc(['-c', add, ...out('lz4.o'), ...mixed, '-Xfatbin', '-compress-all', '-compress-mode', 'speed']),
  ]);
  await Promise.all([
    nvcc([
      '-fatbin',
      add,
      ...out('variants.fatbin'),
      ...gencode('sm_120', 'sm_120a', 'sm_121a', 'compute_90a', 'compute_75'),
    ]),
    nvcc([
      '-fatbin',
      add,
      ...out('family.fatbin'),
      '-gencode',
      'arch=compute_100f,code=sm_103f',
      '-gencode',
      'arch=compute_120f,code=compute_120f',
    ]),
  ]);
  await nvcc([
    '-shared',
    '-Xcompiler',
    '-fPIC',
    add,
    scale,
    ...out('libtwo.so'),
    ...gencode('sm_89', 'sm_120a', 'compute_89'),
  ]);
}, 300_000);
afterAll(removeScratch);

describe('fatbin entries of real nvcc objects', () => {
  it('reads SASS and PTX, uncompressed and as nvcc compresses them by default (PTX only)', async () => {
    const plain = readGpuCode(await file('plain.o'));
    expect(plain.format).toBe('elf');
    expect(names(plain.entries)).toEqual(['sm_80/none', 'sm_90a/none', 'compute_120/none']);
    expect(names(readGpuCode(await file('default.o')).entries)).toEqual([
      'sm_80/none',
      'sm_90a/none',
      'compute_120/zstd',
    ]);
  });

  it('decompresses -compress-all entries, zstd (default mode) and LZ4 (speed mode), to the same code', async () => {
    const plain = readGpuCode(await file('plain.o')).entries;
    for (const [name, compression] of [
      ['zstd.o', 'zstd'],
      ['lz4.o', 'lz4'],
    ] as const) {
      const entries = readGpuCode(await file(name)).entries;
      expect(entries.map((e) => e.compression)).toEqual([compression, compression, compression]);
      expect(entries.map(({ compression: _, ...rest }) => rest)).toEqual(
        plain.map(({ compression: _, ...rest }) => rest),
      );
    }
  });

  it('tells `a` and `f` variants from plain targets, for SASS and PTX', async () => {
    const variants = readFatbinSection(await file('variants.fatbin'));
    expect(variants.map(codeName)).toEqual(['sm_120', 'sm_120a', 'sm_121a', 'compute_90a', 'compute_75']);
    expect(readFatbinSection(await file('family.fatbin')).map(codeName)).toEqual(['sm_103f', 'compute_120f']);
  });

  it('reads every translation unit of a linked shared library', async () => {
    const { entries } = readGpuCode(await file('libtwo.so'));
    // nvcc's device-link stub (SASS only), add.cu and scale.cu (SASS and PTX), in link order.
    expect(names(entries).sort()).toEqual(
      [
        ...['compute_89/zstd', 'sm_120a/none', 'sm_89/none'],
        ...['compute_89/zstd', 'sm_120a/none', 'sm_89/none'],
        ...['sm_120a/none', 'sm_89/none'],
      ].sort(),
    );
  });

  it('refuses a truncated library and a corrupt compressed entry', async () => {
    const lib = await file('libtwo.so');
    expect(() => readGpuCode(lib.subarray(0, lib.length - 4096))).toThrow(/truncated/);
    const zstd = await file('zstd.o');
    const section = findFatbins(zstd).sections[0]!;
    // Damage the first compressed payload: the entry header is 64 bytes after the 16-byte container header.
    section.fill(0x55, 16 + 64 + 8, 16 + 64 + 40);
    expect(() => readGpuCode(zstd)).toThrow(/sm_80 at byte 16: zstd data does not decompress/);
  });

  it('refuses an entry whose header claims more uncompressed bytes than any nvcc entry, before allocating them', async () => {
    for (const name of ['zstd.o', 'lz4.o']) {
      const object = await file(name);
      const section = findFatbins(object).sections[0]!;
      // The uncompressed size sits at byte 56 of the first entry header (after the 16-byte container header).
      section.writeBigUInt64LE(2n ** 40n, 16 + 56);
      expect(() => readGpuCode(object), name).toThrow(
        /sm_80 at byte 16: claims 1099511627776 bytes uncompressed, more than 536870912/,
      );
    }
  });

  it('finds nothing in a library without GPU code, and refuses what is not a library', async () => {
    const python = await readFile(process.execPath);
    expect(readGpuCode(python).entries).toEqual([]);
    expect(() => readGpuCode(Buffer.from('#!/bin/sh\n'))).toThrow(/neither an ELF nor a PE\/COFF file/);
  });
});

describe('PE/COFF around a real fatbin blob', () => {
  let blob: Buffer;
  beforeAll(async () => {
    blob = await file('variants.fatbin');
  });
  const expected = ['sm_120', 'sm_120a', 'sm_121a', 'compute_90a', 'compute_75'];

  it('reads the .nv_fatb section of a DLL, as MSVC names it', () => {
    const text = { name: '.text', data: Buffer.alloc(300, 0xcc) };
    const fatb = { name: '.nv_fatb', data: blob };
    const layout = peLayout([text, fatb]);
    const segment = { name: '.nvFatBi', data: fatbinWrapper(IMAGE_BASE + BigInt(layout[1]!.rva)) };
    const dll = buildPeDll([text, fatb, segment]);
    expect(readGpuCode(dll).format).toBe('pe');
    expect(readGpuCode(dll).entries.map(codeName)).toEqual(expected);
  });

  it('follows the .nvFatBi wrappers when the fatbin was merged into another section', () => {
    const head = Buffer.alloc(64, 7);
    const rdataProbe = { name: '.rdata', data: Buffer.concat([head, blob]) };
    const layout = peLayout([rdataProbe, { name: '.nvFatBi', data: Buffer.alloc(48) }]);
    const wrappers = Buffer.concat([fatbinWrapper(IMAGE_BASE + BigInt(layout[0]!.rva + 64)), Buffer.alloc(24)]);
    const dll = buildPeDll([rdataProbe, { name: '.nvFatBi', data: wrappers }]);
    expect(readGpuCode(dll).entries.map(codeName)).toEqual(expected);

    const wild = buildPeDll([rdataProbe, { name: '.nvFatBi', data: fatbinWrapper(IMAGE_BASE + 0x900000n) }]);
    expect(() => readGpuCode(wild)).toThrow(/points outside every section/);
  });

  it('reads a long section name from the string table of an object file', () => {
    const obj = buildCoffObject([
      { name: '.text', data: Buffer.alloc(16, 0x90) },
      { name: '.nv_fatbin', data: blob },
      { name: '.nvFatBinSegment', data: Buffer.alloc(24) },
    ]);
    expect(obj.includes(Buffer.from('/4\0'))).toBe(true);
    const { format, entries } = readGpuCode(obj);
    expect(format).toBe('coff');
    expect(entries.map(codeName)).toEqual(expected);
  });
});

describe('LZ4 blocks', () => {
  it('copies overlapping matches and refuses offsets before the start', () => {
    // "ab" then a match of 6 at offset 2: "abababab".
    expect(lz4BlockDecode(Buffer.from([0x22, 0x61, 0x62, 0x02, 0x00, 0x00]), 8).toString()).toBe('abababab');
    expect(() => lz4BlockDecode(Buffer.from([0x12, 0x61, 0x05, 0x00]), 8)).toThrow(/points before the start/);
    expect(() => lz4BlockDecode(Buffer.from([0x10, 0x61]), 4)).toThrow(/decoded 1 bytes, the header says 4/);
  });
});
