import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { errorMessage, inputError } from '../core/errors';
import { expandComponents, needsManifest, selectArchives } from './components';
import { download, megabytes, progressReporter, verifyDownload } from './download';
import { confirmNvcc, readVersions } from './existing';
import { checkLinksInside } from './links';
import type { Archive, Manifest } from './manifest';
import { finishPrefix, mergeComponent, unpackComponent } from './prefix';
import { toolkitLayout, type RedistPlatform } from './platform';
import type { InstallContext, Installed, SetupOptions } from './request';
import { fillOnce, toolkitDir } from './slot';
import { fetchManifest } from './tree';
import { majorMinorOf } from './versions';

/** One key for lookup and save: the release, the platform and exactly these components. */
export function toolCacheKey(release: string, platform: RedistPlatform, names: readonly string[]) {
  const components = createHash('sha256')
    .update([...names].sort().join(','))
    .digest('hex')
    .slice(0, 10);
  return { tool: 'cuda', version: release, arch: `${platform}-${components}` };
}

/**
 * The redist method: the components' archives from the tree, merged into one toolkit in the tool
 * cache (or install-dir), unless an earlier job already put exactly that there.
 */
export async function installFromRedist(ctx: InstallContext): Promise<Installed> {
  const { request, version, release, mirror, platform, temp, options } = ctx;
  let manifest: Manifest | undefined;
  const loadManifest = async () => (manifest ??= await fetchManifest(version, release, mirror, temp, options.log));
  const names = expandComponents(
    request.components,
    version.major,
    platform,
    needsManifest(request.components) ? await loadManifest() : undefined,
  );
  const dir = toolkitDir(request.installDir, request.toolCache, toolCacheKey(release, platform, names));
  const withNvcc = names.includes('cuda_nvcc');

  let downloadedBytes = 0;
  const outcome = await options.log.group(`CUDA ${release}: ${names.join(', ')}`, () =>
    fillOnce(
      dir,
      async (staging) => {
        const archives = selectArchives(names, await loadManifest(), platform);
        const total = archives.reduce((sum, a) => sum + a.size, 0);
        options.log.info(`Downloading ${archives.length} components (${megabytes(total)}) from ${mirror}`);
        downloadedBytes = await buildFromRedist(archives, mirror, release, platform, staging, options);
        if (withNvcc) await confirmNvcc(path.join(staging, 'toolkit'), platform, majorMinorOf(version), ctx.run);
      },
      { lock: { ...options.lock, onWait: (m) => options.log.info(m) }, userDir: Boolean(request.installDir) },
    ),
  );
  const versions = await readVersions(toolkitLayout(dir, platform, path).versionJson);
  if (outcome === 'found' && request.installDir) checkReused(dir, release, names, versions);
  return {
    version: release,
    majorMinor: majorMinorOf(version),
    root: dir,
    nvcc: withNvcc ? toolkitLayout(dir, platform, path).nvcc : '',
    source: outcome === 'found' ? 'cache' : 'download',
    cacheHit: outcome === 'found',
    method: 'redist',
    components: [...versions].filter(([name]) => name !== 'cuda').map(([name, v]) => ({ name, version: v })),
    downloadedBytes,
  };
}

/** A reused install-dir must hold what was asked for (in the tool cache, the key guarantees it). */
function checkReused(dir: string, release: string, names: string[], versions: Map<string, string>): void {
  if (versions.get('cuda') === release && names.every((n) => versions.has(n))) return;
  const held = [...versions.keys()].filter((n) => n !== 'cuda');
  throw inputError(
    'install-dir',
    `${dir} holds CUDA ${versions.get('cuda') ?? '(unknown)'} with ${held.join(', ')}, not CUDA ${release} with ${names.join(', ')}`,
    'Choose another folder, or remove this one',
  );
}

/**
 * Builds a toolkit in `staging/toolkit` from redist archives: downloads them in parallel, checks
 * each one's size and SHA-256 before unpacking it, then merges every component into one prefix.
 * Returns the bytes downloaded. On any failure it throws once the other downloads have stopped.
 */
async function buildFromRedist(
  archives: readonly Archive[],
  mirrorUrl: string,
  release: string,
  platform: RedistPlatform,
  staging: string,
  options: SetupOptions,
): Promise<number> {
  const { log, concurrency = 4, progressMs = 5000 } = options;
  const queue = [...archives].sort((a, b) => b.size - a.size);
  const unpacked = new Map<string, string>();
  const failures: unknown[] = [];
  const progress = progressReporter((line) => log.info(line), progressMs);

  const fetchOne = async (archive: Archive): Promise<void> => {
    const file = path.join(staging, 'downloads', archive.name);
    const url = new URL(archive.relativePath, mirrorUrl).href;
    const started = performance.now();
    progress.start(archive.component, file, archive.size);
    try {
      await download(url, file, { maxBytes: archive.size, exact: true, log });
    } finally {
      progress.end(archive.component);
    }
    await verifyDownload(file, { size: archive.size, digest: archive.sha256, algorithm: 'sha256' }, archive.name);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    log.info(
      `${archive.component} ${archive.version}: ${megabytes(archive.size)} in ${seconds} s, size and sha256 verified`,
    );
    unpacked.set(archive.component, await unpackComponent(file, path.join(staging, 'unpack', archive.component)));
    await rm(file);
  };
  const worker = async (): Promise<void> => {
    // A failure stops the others from starting more; running ones finish before the error is thrown.
    for (let next = queue.shift(); next && failures.length === 0; next = queue.shift()) {
      await fetchOne(next).catch((error: unknown) => void failures.push(error));
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, archives.length) }, worker));
  } finally {
    progress.stop();
  }
  if (failures.length > 0) {
    for (const other of failures.slice(1)) log.info(`also failed: ${errorMessage(other)}`);
    throw failures[0];
  }

  const prefix = path.join(staging, 'toolkit');
  for (const archive of [...archives].sort((a, b) => a.component.localeCompare(b.component))) {
    const replaced = await mergeComponent(unpacked.get(archive.component)!, prefix, archive.component);
    if (replaced.length > 0)
      log.debug(`${archive.component} replaced ${replaced.length} files: ${replaced.join(', ')}`);
  }
  await finishPrefix(prefix, platform, release, archives);
  // Links of one component may lead through another's: the merged toolkit is checked as a whole.
  await checkLinksInside(prefix, 'the toolkit');
  return archives.reduce((sum, a) => sum + a.size, 0);
}
