import path from 'node:path';

/** One downloadable archive of a component, as a redistrib_<version>.json lists it. */
export interface Archive {
  component: string;
  /** The component's own version (cuda_nvcc 12.8.93 in CUDA 12.8.1). */
  version: string;
  /** NVIDIA's name for the component ("CUDA NVCC"). */
  title: string;
  /** The archive's file name. */
  name: string;
  license: string;
  relativePath: string;
  sha256: string;
  size: number;
}

export interface Component {
  name: string;
  version: string;
  displayName: string;
  license: string;
  /** Archives by platform key (linux-x86_64, windows-x86_64, ...). */
  archives: Record<string, Archive>;
}

export interface Manifest {
  release: string;
  components: Map<string, Component>;
}

/** What relative_path and component names may hold (NVIDIA's: cuda_nvcc/linux-sbsa/cuda_nvcc-linux-sbsa-13.2.86-archive.tar.xz). */
const SAFE_PATH = /^[A-Za-z0-9._+-]+(?:\/[A-Za-z0-9._+-]+)*$/;
const SAFE_NAME = /^[A-Za-z0-9_+-][A-Za-z0-9._+-]*$/;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * NVIDIA's manifest: top-level release fields, then one object per component with a platform
 * entry per archive. Entries are checked so that a bad mirror cannot point a download outside
 * the tree or skip the checksum.
 */
export function parseManifest(text: string, source: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  if (!isRecord(json) || typeof json.release_label !== 'string') {
    throw new Error(`${source} is not a CUDA redist manifest (no release_label)`);
  }
  const components = new Map<string, Component>();
  for (const [name, entry] of Object.entries(json)) {
    if (!isRecord(entry) || typeof entry.version !== 'string') continue;
    // Component names become folder names while the toolkit is merged.
    if (!SAFE_NAME.test(name)) throw new Error(`${source}: component name ${JSON.stringify(name)} is not a plain name`);
    const component: Component = {
      name,
      version: entry.version,
      displayName: typeof entry.name === 'string' ? entry.name : name,
      license: typeof entry.license === 'string' ? entry.license : '',
      archives: {},
    };
    for (const [platform, archive] of Object.entries(entry)) {
      if (!isRecord(archive) || !('relative_path' in archive)) continue;
      component.archives[platform] = checkedArchive(component, archive, `${source}: ${name} ${platform}`);
    }
    components.set(name, component);
  }
  return { release: json.release_label, components };
}

function checkedArchive(component: Component, entry: Record<string, unknown>, where: string): Archive {
  const { relative_path: relativePath, sha256, size } = entry;
  // Plain folder and file names only: no "..", no absolute path, no scheme or host of another server.
  if (typeof relativePath !== 'string' || !SAFE_PATH.test(relativePath) || relativePath.split('/').includes('..')) {
    throw new Error(`${where}: relative_path ${JSON.stringify(relativePath)} is not a path inside the tree`);
  }
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/i.test(sha256)) {
    throw new Error(`${where}: sha256 ${JSON.stringify(sha256)} is not a SHA-256 digest`);
  }
  const bytes = Number(size);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new Error(`${where}: size ${JSON.stringify(size)} is not a byte count`);
  }
  return {
    component: component.name,
    version: component.version,
    title: component.displayName,
    name: path.posix.basename(relativePath),
    license: component.license,
    relativePath,
    sha256: sha256.toLowerCase(),
    size: bytes,
  };
}

/** Every archive the manifest has for a platform, by component name. */
export function archivesFor(manifest: Manifest, platform: string): Map<string, Archive> {
  const result = new Map<string, Archive>();
  for (const component of manifest.components.values()) {
    const archive = component.archives[platform];
    if (archive) result.set(component.name, archive);
  }
  return result;
}
