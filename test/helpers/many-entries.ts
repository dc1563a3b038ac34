import { createHash } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';

/**
 * Writes a wheel of `count` empty files plus METADATA, WHEEL and a RECORD that lists every file,
 * or only the metadata (every empty file is then a problem): the archives that made verify take
 * a gigabyte, or overflow the stack. A zip64 end record carries the count past 65535. Written
 * here rather than with yazl, whose time grows with the square of the entry count.
 */
export async function writeManyEntryWheel(
  file: string,
  count: number,
  record: 'every file' | 'its own files only' = 'every file',
): Promise<void> {
  const info = 'many-1.0.dist-info';
  const empty = `sha256=${createHash('sha256').digest('base64url')}`;
  const rows: string[] = [];
  const files: { name: string; data: Buffer }[] = [];
  for (let i = 0; i < count; i++) {
    files.push({ name: `many/f${i}.txt`, data: Buffer.alloc(0) });
    if (record === 'every file') rows.push(`many/f${i}.txt,${empty},0`);
  }
  const text = (name: string, body: string) => {
    const data = Buffer.from(body);
    files.push({ name, data });
    rows.push(`${name},sha256=${createHash('sha256').update(data).digest('base64url')},${data.length}`);
  };
  text(`${info}/METADATA`, 'Metadata-Version: 2.1\nName: many\nVersion: 1.0\n');
  text(`${info}/WHEEL`, 'Wheel-Version: 1.0\nGenerator: sagewheels-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n');
  files.push({ name: `${info}/RECORD`, data: Buffer.from([...rows, `${info}/RECORD,,`].join('\n') + '\n') });

  await mkdir(path.dirname(file), { recursive: true });
  const handle = await open(file, 'w');
  try {
    const central: Buffer[] = [];
    let offset = 0;
    let pending: Buffer[] = [];
    const flush = async () => {
      await handle.write(Buffer.concat(pending));
      pending = [];
    };
    for (const { name, data } of files) {
      const bytes = Buffer.from(name);
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(20, 4);
      local.writeUInt32LE(crc32(data), 14);
      local.writeUInt32LE(data.length, 18);
      local.writeUInt32LE(data.length, 22);
      local.writeUInt16LE(bytes.length, 26);
      const header = Buffer.alloc(46);
      header.writeUInt32LE(0x02014b50, 0);
      header.writeUInt16LE((3 << 8) | 45, 4);
      header.writeUInt16LE(20, 6);
      local.copy(header, 8, 6, 30);
      header.writeUInt32LE((0o100644 << 16) >>> 0, 38);
      header.writeUInt32LE(offset, 42);
      central.push(header, bytes);
      pending.push(local, bytes, data);
      offset += 30 + bytes.length + data.length;
      if (pending.length > 3000) await flush();
    }
    await flush();
    const directory = Buffer.concat(central);
    const end64 = Buffer.alloc(56);
    end64.writeUInt32LE(0x06064b50, 0);
    end64.writeBigUInt64LE(44n, 4);
    end64.writeUInt16LE(45, 12);
    end64.writeUInt16LE(45, 14);
    end64.writeBigUInt64LE(BigInt(files.length), 24);
    end64.writeBigUInt64LE(BigInt(files.length), 32);
    end64.writeBigUInt64LE(BigInt(directory.length), 40);
    end64.writeBigUInt64LE(BigInt(offset), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeBigUInt64LE(BigInt(offset + directory.length), 8);
    locator.writeUInt32LE(1, 16);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(0xffff, 8);
    end.writeUInt16LE(0xffff, 10);
    end.writeUInt32LE(directory.length, 12);
    end.writeUInt32LE(offset, 16);
    await handle.write(Buffer.concat([directory, end64, locator, end]));
  } finally {
    await handle.close();
  }
}
