import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractTarXz } from '../../src/cuda/tar';
import { listTree } from '../fakes/redist';

const run = promisify(execFile);
let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'sagewheels-tar-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

interface Member {
  name: string;
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'chr';
  data?: string;
  linkname?: string;
  mode?: number;
}

/** Crafts an archive with Python's tarfile, which writes whatever names and links it is given. */
async function craft(label: string, members: Member[], format = 'GNU_FORMAT'): Promise<string> {
  const tar = path.join(work, `${label}.tar`);
  const script = `
import io, json, sys, tarfile
members = json.loads(sys.stdin.read())
kinds = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE, "chr": tarfile.CHRTYPE}
with tarfile.open(sys.argv[1], "w", format=getattr(tarfile, sys.argv[2])) as out:
    for m in members:
        info = tarfile.TarInfo(m["name"])
        info.type = kinds[m["type"]]
        info.mode = m.get("mode", 0o644)
        info.linkname = m.get("linkname", "")
        data = m.get("data", "").encode()
        info.size = len(data) if m["type"] == "file" else 0
        out.addfile(info, io.BytesIO(data) if m["type"] == "file" else None)
`;
  const child = execFile('python3', ['-c', script, tar, format]);
  child.stdin!.end(JSON.stringify(members));
  await new Promise((resolve, reject) =>
    child.on('close', (code) => (code === 0 ? resolve(code) : reject(new Error(`python3 exited ${code}`)))),
  );
  await run('xz', ['-0', '-f', tar]);
  return `${tar}.xz`;
}

/** A fresh, empty destination inside a folder that also holds a sentinel neighbour. */
async function destination(label: string): Promise<{ dest: string; outside: string }> {
  const outside = path.join(work, `${label}-box`);
  const dest = path.join(outside, 'dest', 'inner');
  await mkdir(dest, { recursive: true });
  return { dest, outside };
}

describe('extractTarXz', () => {
  it('extracts what GNU tar wrote: folders, modes, symlinks, hard links and long names', async () => {
    const src = path.join(work, 'src');
    const long = `${'very-long-folder-name-'.repeat(6)}end`;
    await mkdir(path.join(src, 'pkg-archive', 'bin'), { recursive: true });
    await mkdir(path.join(src, 'pkg-archive', 'lib', long), { recursive: true });
    await writeFile(path.join(src, 'pkg-archive', 'bin', 'tool'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
    await writeFile(path.join(src, 'pkg-archive', 'lib', 'libx.so.1'), 'library');
    await symlink('libx.so.1', path.join(src, 'pkg-archive', 'lib', 'libx.so'));
    await writeFile(path.join(src, 'pkg-archive', 'lib', long, 'deep.txt'), 'deep');
    await run('ln', [
      path.join(src, 'pkg-archive', 'lib', 'libx.so.1'),
      path.join(src, 'pkg-archive', 'lib', 'libx-hard.so.1'),
    ]);
    const archive = path.join(work, 'gnu.tar.xz');
    await run('sh', ['-c', `tar -C "${src}" -cf - pkg-archive | xz -0 > "${archive}"`]);

    const { dest } = await destination('gnu');
    await extractTarXz(archive, dest);
    expect(await listTree(dest)).toEqual(await listTree(src));
    expect((await stat(path.join(dest, 'pkg-archive', 'bin', 'tool'))).mode & 0o777).toBe(0o755);
    expect(await readFile(path.join(dest, 'pkg-archive', 'lib', long, 'deep.txt'), 'utf8')).toBe('deep');
    expect(await readFile(path.join(dest, 'pkg-archive', 'lib', 'libx-hard.so.1'), 'utf8')).toBe('library');
    expect(await readlink(path.join(dest, 'pkg-archive', 'lib', 'libx.so'))).toBe('libx.so.1');
  });

  it('reads pax headers (long and non-ASCII names) as Python writes them', async () => {
    const name = `pkg/${'ü'.repeat(80)}/datei.txt`;
    const archive = await craft('pax', [{ name, type: 'file', data: 'inhalt' }], 'PAX_FORMAT');
    const { dest } = await destination('pax');
    await extractTarXz(archive, dest);
    expect(await readFile(path.join(dest, name), 'utf8')).toBe('inhalt');
  });

  const refused: [string, Member[], RegExp][] = [
    [
      'a name that climbs out',
      [{ name: '../escape.txt', type: 'file', data: 'x' }],
      /entry "\.\.\/escape\.txt" escapes the extraction folder/,
    ],
    [
      'a name hidden behind a folder',
      [{ name: 'a/../../escape.txt', type: 'file', data: 'x' }],
      /escapes the extraction folder/,
    ],
    [
      'an absolute name',
      [{ name: '/tmp/sagewheels-absolute.txt', type: 'file', data: 'x' }],
      /escapes the extraction folder/,
    ],
    [
      'a symlink out of the folder',
      [{ name: 'link', type: 'symlink', linkname: '../../escape' }],
      /symlink "link" -> "\.\.\/\.\.\/escape" points outside the extraction folder/,
    ],
    [
      'a symlink to an absolute path',
      [{ name: 'etc', type: 'symlink', linkname: '/etc' }],
      /symlink "etc" -> "\/etc" points outside the extraction folder/,
    ],
    [
      'a file written through a symlink',
      [
        { name: 'sub', type: 'dir' },
        { name: 'through', type: 'symlink', linkname: 'sub' },
        { name: 'through/file.txt', type: 'file', data: 'x' },
      ],
      /entry "through\/file\.txt" would be written through the symlink "through"/,
    ],
    [
      'symlinks that escape only together',
      [
        { name: 'here', type: 'symlink', linkname: '.' },
        { name: 'up', type: 'symlink', linkname: 'here/..' },
      ],
      /symlink "up" -> "here\/\.\." resolves outside the extraction folder/,
    ],
    [
      'a hard link out of the folder',
      [{ name: 'hard', type: 'hardlink', linkname: '../outside.txt' }],
      /hard link "hard" -> "\.\.\/outside\.txt" points outside the extraction folder/,
    ],
    [
      'a link through a link to the parent, inside only lexically',
      [
        { name: 'd', type: 'dir' },
        { name: 'd/l', type: 'symlink', linkname: '..' },
        { name: 'x', type: 'symlink', linkname: 'd/l/..' },
      ],
      /symlink "x" -> "d\/l\/\.\." resolves outside the extraction folder/,
    ],
    [
      'a dangling link whose chain leaves the folder',
      [
        { name: 'here', type: 'symlink', linkname: '.' },
        { name: 'later', type: 'symlink', linkname: 'here/../not-yet-there' },
      ],
      /symlink "later" -> "here\/\.\.\/not-yet-there" resolves outside the extraction folder/,
    ],
    [
      'a hard link through a symlink',
      [
        { name: 'up', type: 'symlink', linkname: '.' },
        { name: 'hard', type: 'hardlink', linkname: 'up/file' },
      ],
      /hard link "hard" points through a symlink/,
    ],
    [
      'a device node',
      [{ name: 'dev', type: 'chr' }],
      /entry "dev" is a CharacterDevice, which is not extracted \(only files, folders and links\)/,
    ],
  ];

  it.each(refused)('refuses %s and writes nothing outside', async (label, members, message) => {
    const slug = label.replace(/\W+/g, '-');
    const archive = await craft(slug, members);
    const { dest, outside } = await destination(slug);
    await writeFile(path.join(outside, 'outside.txt'), 'untouched');
    await expect(extractTarXz(archive, dest)).rejects.toThrow(message);
    expect(await readdir(outside)).toEqual(['dest', 'outside.txt']);
    expect(await readdir(path.join(outside, 'dest'))).toEqual(['inner']);
    expect(await readFile(path.join(outside, 'outside.txt'), 'utf8')).toBe('untouched');
    expect(existsSync('/tmp/sagewheels-absolute.txt')).toBe(false);
  });

  it('reports a damaged xz stream and data that is not a tar archive', async () => {
    const { dest } = await destination('damaged');
    const damaged = path.join(work, 'damaged.tar.xz');
    const good = await readFile(await craft('good', [{ name: 'a.txt', type: 'file', data: 'a'.repeat(5000) }]));
    await writeFile(damaged, Buffer.concat([good.subarray(0, 40), Buffer.alloc(200, 7), good.subarray(240)]));
    await expect(extractTarXz(damaged, dest)).rejects.toThrow(
      /xz could not decompress damaged\.tar\.xz: .*(Compressed data is corrupt|Unexpected end|File format not recognized)/,
    );

    const notTar = path.join(work, 'plain.txt');
    await writeFile(notTar, 'this is not a tar archive, only text '.repeat(40));
    await run('xz', ['-0', '-f', notTar]);
    await expect(extractTarXz(`${notTar}.xz`, await destination('plain').then((d) => d.dest))).rejects.toThrow(
      'plain.txt.xz is not a tar archive, or a damaged one: TAR_ENTRY_INVALID: checksum failure',
    );
  });

  it('refuses an archive past its entry count or unpacked size, as soon as it passes', async () => {
    const members: Member[] = Array.from({ length: 6 }, (_, i) => ({
      name: `f${i}.txt`,
      type: 'file',
      data: 'x'.repeat(1000),
    }));
    const archive = await craft('many', members);
    const fits = await destination('many-fits');
    await extractTarXz(archive, fits.dest, { entries: 6, bytes: 6000 });
    expect(await readdir(fits.dest)).toHaveLength(6);
    await expect(
      extractTarXz(archive, (await destination('many-count')).dest, { entries: 5, bytes: 6000 }),
    ).rejects.toThrow(/^many\.tar\.xz holds more than 5 entries \(a tar bomb\?\)/);
    await expect(
      extractTarXz(archive, (await destination('many-size')).dest, { entries: 6, bytes: 5999 }),
    ).rejects.toThrow(/^many\.tar\.xz unpacks to more than 5999 bytes \(a tar bomb\?\)/);
  });
});
