import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Archive } from '../../src/cuda/manifest';
import { toolkitLayout } from '../../src/cuda/platform';
import { finishPrefix, mergeComponent, unpackComponent } from '../../src/cuda/prefix';
import { writeZip } from '../../src/wheel/zip';
import { listTree } from '../fakes/redist';

const run = promisify(execFile);
let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'sagewheels-prefix-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const archive = (component: string, version: string, title: string): Archive => ({
  component,
  version,
  title,
  name: `${component}-windows-x86_64-${version}-archive.zip`,
  license: 'CUDA Toolkit',
  relativePath: `${component}/windows-x86_64/${component}-windows-x86_64-${version}-archive.zip`,
  sha256: '0'.repeat(64),
  size: 1,
});

describe('a Windows toolkit from redist zips', () => {
  it('merges components laid out as NVIDIA zips them into one prefix with lib\\x64 and version.json', async () => {
    const zips = {
      cuda_nvcc: [
        ['bin/nvcc.exe', 'nvcc'],
        ['include/crt/host_config.h', 'crt'],
        ['nvvm/bin/cicc.exe', 'cicc'],
        ['LICENSE', 'nvcc license'],
      ],
      cuda_cudart: [
        ['bin/cudart64_12.dll', 'dll'],
        ['include/cuda_runtime.h', 'runtime'],
        ['include/crt/host_config.h', 'a second copy'],
        ['lib/x64/cudart.lib', 'import library'],
        ['LICENSE', 'cudart license'],
      ],
    };
    const prefix = path.join(work, 'toolkit');
    const archives = [
      archive('cuda_cudart', '12.8.90', 'CUDA Runtime (cudart)'),
      archive('cuda_nvcc', '12.8.93', 'CUDA NVCC'),
    ];
    const replaced: string[] = [];
    for (const a of archives) {
      const file = path.join(work, a.name);
      const top = a.name.replace(/\.zip$/, '');
      await writeZip(
        file,
        zips[a.component as keyof typeof zips].map(([name, data]) => ({
          name: `${top}/${name}`,
          data: Buffer.from(data!),
          mode: 0,
        })),
      );
      const unpacked = await unpackComponent(file, path.join(work, 'unpack', a.component));
      expect(path.basename(unpacked)).toBe(top);
      replaced.push(...(await mergeComponent(unpacked, prefix, a.component)));
    }
    await finishPrefix(prefix, 'windows-x86_64', '12.8.1', archives);

    expect(await listTree(prefix)).toEqual([
      'bin/',
      'bin/cudart64_12.dll',
      'bin/nvcc.exe',
      'include/',
      'include/crt/',
      'include/crt/host_config.h',
      'include/cuda_runtime.h',
      'lib/',
      'lib/x64/',
      'lib/x64/cudart.lib',
      'licenses/',
      'licenses/cuda_cudart/',
      'licenses/cuda_cudart/LICENSE',
      'licenses/cuda_nvcc/',
      'licenses/cuda_nvcc/LICENSE',
      'nvvm/',
      'nvvm/bin/',
      'nvvm/bin/cicc.exe',
      'version.json',
    ]);
    // Where two components ship one file, the later one is kept and the replacement reported.
    expect(replaced).toEqual([path.join('include', 'crt', 'host_config.h')]);
    expect(await readFile(path.join(prefix, 'include', 'crt', 'host_config.h'), 'utf8')).toBe('crt');
    expect(JSON.parse(await readFile(path.join(prefix, 'version.json'), 'utf8'))).toEqual({
      cuda: { name: 'CUDA SDK', version: '12.8.1' },
      cuda_cudart: { name: 'CUDA Runtime (cudart)', version: '12.8.90' },
      cuda_nvcc: { name: 'CUDA NVCC', version: '12.8.93' },
    });
    expect(existsSync(path.join(prefix, 'lib64'))).toBe(false);
  });

  it('names the Windows places: nvcc.exe in bin, libraries in lib\\x64', () => {
    expect(toolkitLayout('C:\\cuda', 'windows-x86_64')).toEqual({
      bin: 'C:\\cuda\\bin',
      nvcc: 'C:\\cuda\\bin\\nvcc.exe',
      lib: 'C:\\cuda\\lib\\x64',
      versionJson: 'C:\\cuda\\version.json',
    });
    expect(toolkitLayout('/opt/cuda', 'linux-sbsa').lib).toBe('/opt/cuda/lib64');
  });

  it('refuses a link that leaves the component folder by one level, though it stays in the extraction folder', async () => {
    const src = path.join(work, 'one-level');
    await mkdir(path.join(src, 'pkg-linux-x86_64-1.0-archive', 'lib'), { recursive: true });
    await symlink('../../outside', path.join(src, 'pkg-linux-x86_64-1.0-archive', 'lib', 'libx.so'));
    const file = path.join(work, 'one-level.tar.xz');
    await run('sh', ['-c', `tar -C "${src}" -cf - pkg-linux-x86_64-1.0-archive | xz -0 > "${file}"`]);
    await expect(unpackComponent(file, path.join(work, 'unpack', 'one-level'))).rejects.toThrow(
      'symlink "lib/libx.so" -> "../../outside" resolves outside the folder pkg-linux-x86_64-1.0-archive',
    );
  });

  it('refuses an archive that is neither .tar.xz nor .zip', async () => {
    await expect(unpackComponent(path.join(work, 'thing.tar.gz'), path.join(work, 'unpack', 'gz'))).rejects.toThrow(
      'thing.tar.gz is neither a .tar.xz nor a .zip archive',
    );
  });
});
