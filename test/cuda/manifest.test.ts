import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkComponentsInput,
  expandComponents,
  fullComponents,
  selectArchives,
  torchExtensionComponents,
} from '../../src/cuda/components';
import { archivesFor, parseManifest, type Manifest } from '../../src/cuda/manifest';
import { NVIDIA_REDIST, toolCacheKey } from '../../src/cuda/setup';
import { listedVersions, parseVersionRequest, resolveVersion } from '../../src/cuda/versions';

// NVIDIA's own manifests (test/fixtures/cuda-redist): 12.6.3, 12.8.1, 12.9.1 and 13.0.2.
const fixtures = path.resolve(import.meta.dirname, '../fixtures/cuda-redist');
const manifest = (release: string): Manifest =>
  parseManifest(readFileSync(path.join(fixtures, `redistrib_${release}.json`), 'utf8'), `redistrib_${release}.json`);

const torchExtension = (release: string, platform: 'linux-x86_64' | 'linux-sbsa' | 'windows-x86_64') => {
  const m = manifest(release);
  return selectArchives(expandComponents(['torch-extension'], Number(release.split('.')[0]), platform, m), m, platform);
};
const urls = (archives: { relativePath: string }[]) => archives.map((a) => new URL(a.relativePath, NVIDIA_REDIST).href);

describe('the torch-extension set on the real manifests', () => {
  it('is nvcc, cudart and CCCL on Linux for CUDA 12, with NVIDIA URLs and hashes', () => {
    const archives = torchExtension('12.8.1', 'linux-x86_64');
    expect(urls(archives)).toEqual([
      'https://developer.download.nvidia.com/compute/cuda/redist/cuda_cccl/linux-x86_64/cuda_cccl-linux-x86_64-12.8.90-archive.tar.xz',
      'https://developer.download.nvidia.com/compute/cuda/redist/cuda_cudart/linux-x86_64/cuda_cudart-linux-x86_64-12.8.90-archive.tar.xz',
      'https://developer.download.nvidia.com/compute/cuda/redist/cuda_nvcc/linux-x86_64/cuda_nvcc-linux-x86_64-12.8.93-archive.tar.xz',
    ]);
    const nvcc = archives.find((a) => a.component === 'cuda_nvcc')!;
    expect(nvcc).toMatchObject({
      version: '12.8.93',
      size: 79015464,
      sha256: '9961b3484b6b71314063709a4f9529654f96782ad39e72bf1e00f070db8210d3',
    });
  });

  it('adds crt and nvvm for CUDA 13, where NVIDIA split them out of nvcc', () => {
    const archives = torchExtension('13.0.2', 'linux-x86_64');
    expect(archives.map((a) => `${a.component} ${a.version}`)).toEqual([
      'cuda_cccl 13.0.85',
      'cuda_crt 13.0.88',
      'cuda_cudart 13.0.96',
      'cuda_nvcc 13.0.88',
      'libnvvm 13.0.88',
    ]);
    expect(archives.find((a) => a.component === 'libnvvm')).toMatchObject({
      relativePath: 'libnvvm/linux-x86_64/libnvvm-linux-x86_64-13.0.88-archive.tar.xz',
      sha256: '17ef1665b63670887eeba7d908da5669fa8c66bb73b5b4c1367f49929c086353',
      size: 43645408,
    });
    // 12.x manifests have no such components: the 13.x rule must not leak into 12.x.
    expect(manifest('12.9.1').components.has('cuda_crt')).toBe(false);
    expect(torchExtensionComponents(12, 'linux-x86_64')).not.toContain('cuda_crt');
  });

  it('adds the cuBLAS, cuSPARSE, cuSOLVER and cuRAND headers on Windows, as zips', () => {
    const archives = torchExtension('12.6.3', 'windows-x86_64');
    expect(archives.map((a) => a.component)).toEqual([
      'cuda_cccl',
      'cuda_cudart',
      'cuda_nvcc',
      'libcublas',
      'libcurand',
      'libcusolver',
      'libcusparse',
    ]);
    expect(
      archives.every(
        (a) => a.relativePath.startsWith(`${a.component}/windows-x86_64/`) && a.name.endsWith('-archive.zip'),
      ),
    ).toBe(true);
    const win13 = torchExtension('13.0.2', 'windows-x86_64');
    expect(win13.map((a) => a.component)).toEqual(expect.arrayContaining(['cuda_crt', 'libnvvm', 'libcublas']));
    expect(win13.find((a) => a.component === 'cuda_nvcc')).toMatchObject({
      name: 'cuda_nvcc-windows-x86_64-13.0.88-archive.zip',
      sha256: '61760e24a44937c6c29a20ddea69067b4d3860ccd6a9a0564573f840d96e6c5f',
    });
  });

  it.each(['12.6.3', '12.8.1', '12.9.1', '13.0.2', '13.2.2'])('exists for every platform in %s', (release) => {
    for (const platform of ['linux-x86_64', 'linux-sbsa', 'windows-x86_64'] as const) {
      for (const archive of torchExtension(release, platform)) expect(archive.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
  });
});

describe("CUDA 13.2 (NVIDIA's redistrib_13.2.2.json)", () => {
  it('keeps the 13.0 compiler set, on sbsa too, with NVIDIA URLs and hashes', () => {
    const archives = torchExtension('13.2.2', 'linux-sbsa');
    expect(archives.map((a) => `${a.component} ${a.version}`)).toEqual([
      'cuda_cccl 13.2.86',
      'cuda_crt 13.2.86',
      'cuda_cudart 13.2.86',
      'cuda_nvcc 13.2.86',
      'libnvvm 13.2.86',
    ]);
    expect(urls(archives)).toContain(
      'https://developer.download.nvidia.com/compute/cuda/redist/cuda_nvcc/linux-sbsa/cuda_nvcc-linux-sbsa-13.2.86-archive.tar.xz',
    );
  });

  it('lists cuda_tileiras (in full, not in the default sets) and skips the per-CUDA cuda_compat variants', () => {
    const m = manifest('13.2.2');
    expect(archivesFor(m, 'windows-x86_64').get('cuda_tileiras')).toMatchObject({
      name: 'cuda_tileiras-windows-x86_64-13.2.86-archive.zip',
      size: 28616232,
    });
    expect(fullComponents(m, 'linux-sbsa')).toContain('cuda_tileiras');
    expect(expandComponents(['torch-extension'], 13, 'windows-x86_64')).not.toContain('cuda_tileiras');
    // cuda_compat nests its archives under "cuda13.2": not an archive of the platform itself.
    expect(archivesFor(m, 'linux-x86_64').has('cuda_compat')).toBe(false);
    expect(m.components.get('cuda_compat')!.version).toBe('595.71.05');
  });
});

describe('the full set and explicit lists', () => {
  it('full is the CUDA Toolkit: libraries and tools, not the driver, Nsight or fabric tools', () => {
    const names = fullComponents(manifest('12.8.1'), 'linux-x86_64');
    expect(names).toEqual(expect.arrayContaining(['cuda_nvcc', 'libcublas', 'libcufft', 'cuda_nvrtc', 'cuda_gdb']));
    for (const absent of [
      'nvidia_driver',
      'fabricmanager',
      'nsight_systems',
      'nsight_compute',
      'imex',
      'libnvidia_nscq',
    ]) {
      expect(names).not.toContain(absent);
    }
    expect(fullComponents(manifest('13.0.2'), 'windows-x86_64')).toContain('visual_studio_integration');
  });

  it('keys full, torch-extension and explicit lists apart in the tool cache, whatever the order', () => {
    const m = manifest('13.0.2');
    const key = (requested: string[]) =>
      toolCacheKey('13.0.2', 'linux-x86_64', expandComponents(requested, 13, 'linux-x86_64', m)).arch;
    expect(key(['full'])).not.toBe(key(['torch-extension']));
    expect(key(['torch-extension', 'libcublas'])).not.toBe(key(['torch-extension']));
    expect(key(['libnvvm', 'cuda_nvcc', 'cuda_cudart', 'cuda_crt', 'cuda_cccl'])).toBe(key(['torch-extension']));
    expect(key(['torch-extension'])).toMatch(/^linux-x86_64-[0-9a-f]{10}$/);
  });

  it('names every missing component and those there', () => {
    expect(() => selectArchives(['cuda_nvcc', 'cuda_crt', 'libfoo'], manifest('12.8.1'), 'windows-x86_64')).toThrow(
      /^components: CUDA 12\.8\.1 has no cuda_crt, libfoo for windows-x86_64\. Components there: cuda_cccl, cuda_cudart, .*visual_studio_integration$/,
    );
  });

  it('refuses misspelt input before any download', () => {
    expect(() => checkComponentsInput(['torch_extension', 'cuda nvcc'])).toThrow(
      /^components: "cuda nvcc" is not a set or a component name/,
    );
    expect(() => checkComponentsInput([])).toThrow(/^components: is empty/);
    expect(() => checkComponentsInput(['torch-extension', 'libcublas'])).not.toThrow();
  });
});

describe('parseManifest', () => {
  const withEntry = (entry: Record<string, unknown>) =>
    JSON.stringify({
      release_label: '12.8.1',
      cuda_nvcc: { name: 'CUDA NVCC', version: '12.8.93', 'linux-x86_64': entry },
    });
  const good = { relative_path: 'cuda_nvcc/linux-x86_64/x.tar.xz', sha256: 'a'.repeat(64), size: '10' };

  it('reads every component and platform of a real manifest', () => {
    const m = manifest('12.9.1');
    expect(m.release).toBe('12.9.1');
    expect(archivesFor(m, 'linux-x86_64').size).toBeGreaterThan(30);
    expect(m.components.get('cuda_nvcc')!.archives['linux-sbsa']!.name).toBe(
      'cuda_nvcc-linux-sbsa-12.9.86-archive.tar.xz',
    );
  });

  it('refuses entries that point outside the tree or carry no usable checksum', () => {
    expect(() => parseManifest(withEntry({ ...good, relative_path: '../../etc/passwd' }), 'm.json')).toThrow(
      'is not a path inside the tree',
    );
    expect(() => parseManifest(withEntry({ ...good, relative_path: '/abs.tar.xz' }), 'm.json')).toThrow(
      'is not a path inside the tree',
    );
    for (const elsewhere of ['https://evil.example/x.tar.xz', '//evil.example/x.tar.xz', 'a\\..\\b.tar.xz', 'a//b']) {
      expect(() => parseManifest(withEntry({ ...good, relative_path: elsewhere }), 'm.json')).toThrow(
        'is not a path inside the tree',
      );
    }
    expect(() =>
      parseManifest(
        JSON.stringify({ release_label: '1.0.0', '../../x': { version: '1', license: 'CUDA Toolkit' } }),
        'm.json',
      ),
    ).toThrow('m.json: component name "../../x" is not a plain name');
    expect(() => parseManifest(withEntry({ ...good, sha256: 'abc' }), 'm.json')).toThrow('is not a SHA-256 digest');
    expect(() => parseManifest(withEntry({ ...good, size: '-1' }), 'm.json')).toThrow('is not a byte count');
    expect(() => parseManifest('<html>', 'm.json')).toThrow('m.json is not JSON');
    expect(() => parseManifest('{"cuda_nvcc": {}}', 'm.json')).toThrow('not a CUDA redist manifest');
  });
});

describe('versions', () => {
  const index = `<html><body><pre><a href="cuda_nvcc/">cuda_nvcc/</a>
<a href="redistrib_12.8.0.json">redistrib_12.8.0.json</a>  2025-01-23 18:09   49K
<a href="redistrib_12.8.1.json">redistrib_12.8.1.json</a>  2025-03-06 00:00   49K
<a href="redistrib_12.10.0.json">redistrib_12.10.0.json</a>
<a href="redistrib_13.0.2.json">redistrib_13.0.2.json</a></pre></body></html>`;
  const tree = 'https://mirror.example/redist/';

  it('reads the index of manifests, in version order', () => {
    expect(listedVersions(index)).toEqual(['12.8.0', '12.8.1', '12.10.0', '13.0.2']);
  });

  it('takes the newest x.y.z for x.y, and exactly x.y.z when given', () => {
    const available = listedVersions(index);
    expect(resolveVersion(parseVersionRequest('12.8'), available, tree)).toBe('12.8.1');
    expect(resolveVersion(parseVersionRequest('12.8.0'), available, tree)).toBe('12.8.0');
    expect(resolveVersion(parseVersionRequest('13.0'), available, tree)).toBe('13.0.2');
  });

  it('lists what exists when the tree lacks the version', () => {
    expect(() => resolveVersion(parseVersionRequest('12.9'), listedVersions(index), tree)).toThrow(
      'cuda-version: 12.9 is not in the redist tree https://mirror.example/redist/. Versions there: 12.8.0, 12.8.1, 12.10.0, 13.0.2',
    );
  });

  it('refuses what is not a version before anything else', () => {
    for (const bad of ['12', 'cu128', '12.8.1.2', 'latest', '']) {
      expect(() => parseVersionRequest(bad)).toThrow(
        /^cuda-version: ".*" is not a CUDA version\. Allowed: major\.minor/,
      );
    }
    expect(parseVersionRequest('12.08.1')).toMatchObject({ major: 12, minor: 8, exact: '12.8.1' });
  });
});
