import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Log } from '../core/context';
import { inputError } from '../core/errors';
import { runChecked, runProcess, type ProcessRunner } from '../core/exec';
import { checkComponentsInput, expandComponents, needsManifest, selectArchives } from './components';
import { download, DownloadError, downloadText, verifyDownload } from './download';
import { defaultWindowsRoot, findExisting, probe, type Toolkit } from './existing';
import {
  chooseInstaller,
  installerUrls,
  linuxInstallerArgs,
  parseMd5sums,
  windowsInstallerArgs,
  windowsToolkitComponents,
} from './installer';
import type { LockOptions } from './lock';
import { parseManifest, type Manifest } from './manifest';
import { hostPlatform, isWindows, toolkitLayout, type RedistPlatform } from './platform';
import { buildFromRedist } from './redist';
import { fillOnce, toolCacheDir } from './slot';
import { listedVersions, majorMinorOf, parseVersionRequest, resolveVersion, type VersionRequest } from './versions';

export const METHODS = ['auto', 'existing', 'redist', 'installer'] as const;
export type Method = (typeof METHODS)[number];
export type Source = 'existing' | 'cache' | 'download';

export const NVIDIA_REDIST = 'https://developer.download.nvidia.com/compute/cuda/redist/';

export interface SetupRequest {
  cudaVersion: string;
  method: Method;
  /** Set names (torch-extension, full) and redist component names. */
  components: string[];
  mirrorUrl: string;
  /** Install here instead of the tool cache. */
  installDir?: string;
  /** The tool cache root (RUNNER_TOOL_CACHE); needed to install unless installDir is given. */
  toolCache?: string;
  /** Scratch space for small downloads and the Windows installer (RUNNER_TEMP). */
  tempDir: string;
  platform?: RedistPlatform;
  env?: NodeJS.ProcessEnv;
}

export interface SetupOptions {
  log: Log;
  run?: ProcessRunner;
  lock?: LockOptions;
  concurrency?: number;
  progressMs?: number;
}

export interface SetupResult {
  /** x.y.z: the toolkit release, or nvcc's version for a toolkit without version.json. */
  version: string;
  majorMinor: string;
  root: string;
  /** '' when the components include no nvcc. */
  nvcc: string;
  source: Source;
  cacheHit: boolean;
  method: 'existing' | 'redist' | 'installer';
  components: { name: string; version: string }[];
  downloadedBytes: number;
  seconds: number;
}

/** Finds, or installs, the CUDA toolkit a request asks for. Everything the request gets wrong is refused first. */
export async function setupCuda(request: SetupRequest, options: SetupOptions): Promise<SetupResult> {
  const started = performance.now();
  const version = parseVersionRequest(request.cudaVersion);
  checkComponentsInput(request.components);
  const mirror = checkMirror(request.mirrorUrl);
  const platform = request.platform ?? hostPlatform();
  const env = request.env ?? process.env;
  const run = options.run ?? runProcess;
  if (request.installDir && request.method === 'existing') {
    throw inputError('install-dir', 'is given, but method existing installs nothing', 'Leave install-dir empty, or use method auto, redist or installer');
  }
  if (request.installDir && request.method === 'installer' && isWindows(platform)) {
    throw inputError('install-dir', "is given, but NVIDIA's Windows installer always installs into Program Files", 'Leave install-dir empty, or use method redist');
  }
  const seconds = () => Math.round((performance.now() - started) / 100) / 10;

  if (request.method === 'auto' || request.method === 'existing') {
    const search = await findExisting(majorMinorOf(version), version.exact, platform, env, run);
    if (search.toolkit) return { ...(await existingResult(search.toolkit, platform)), seconds: seconds() };
    const seen = search.seen.length > 0 ? `Found instead: ${search.seen.join('; ')}` : 'Found no nvcc at all';
    if (request.method === 'existing') {
      throw inputError(
        'method',
        `existing: no CUDA ${version.given} toolkit is on this runner (looked at CUDA_PATH_V${version.major}_${version.minor}, the default install folder and PATH)`,
        `${seen}. Use method auto or redist to install it`,
      );
    }
    options.log.info(`No CUDA ${version.given} toolkit on this runner (${seen}); installing it from ${mirror}`);
  }

  const temp = await mkdtemp(path.join(request.tempDir, 'sagewheels-cuda-'));
  try {
    const release = await resolveRelease(version, mirror, temp);
    const install = request.method === 'installer' ? installWithInstaller : installFromRedist;
    const result = await install({ request, version, release, mirror, platform, temp, run, options });
    return { ...result, seconds: seconds() };
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

function checkMirror(given: string): string {
  let url: URL | undefined;
  try {
    url = new URL(given);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw inputError('mirror-url', `"${given}" is not an http(s) URL`, `Allowed: the base URL of a CUDA redist tree, like ${NVIDIA_REDIST}`);
  }
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}

/** 12.8 -> the newest 12.8.x in the tree's index; 12.8.1 -> itself (checked when its manifest is fetched). */
async function resolveRelease(version: VersionRequest, mirror: string, temp: string): Promise<string> {
  if (version.exact) return version.exact;
  return resolveVersion(version, await treeVersions(mirror, temp), mirror);
}

async function treeVersions(mirror: string, temp: string): Promise<string[]> {
  return listedVersions(await downloadText(mirror, path.join(temp, `index-${Date.now()}.html`)));
}

async function fetchManifest(version: VersionRequest, release: string, mirror: string, temp: string): Promise<Manifest> {
  const url = new URL(`redistrib_${release}.json`, mirror).href;
  try {
    return parseManifest(await downloadText(url, path.join(temp, `redistrib_${release}.json`)), url);
  } catch (error) {
    // An exact version the tree lacks: the error lists what it has.
    if (error instanceof DownloadError && error.status === 404) resolveVersion(version, await treeVersions(mirror, temp), mirror);
    throw error;
  }
}

interface InstallContext {
  request: SetupRequest;
  version: VersionRequest;
  release: string;
  mirror: string;
  platform: RedistPlatform;
  temp: string;
  run: ProcessRunner;
  options: SetupOptions;
}

type Installed = Omit<SetupResult, 'seconds'>;

async function installFromRedist(ctx: InstallContext): Promise<Installed> {
  const { request, version, release, mirror, platform, temp, options } = ctx;
  let manifest: Manifest | undefined;
  const loadManifest = async () => (manifest ??= await fetchManifest(version, release, mirror, temp));
  const names = expandComponents(request.components, version.major, platform, needsManifest(request.components) ? await loadManifest() : undefined);
  const key = toolCacheKey(release, platform, names);
  const dir = request.installDir ? path.resolve(request.installDir) : toolCacheDir(toolCacheRoot(request), key.tool, key.version, key.arch);

  let downloadedBytes = 0;
  const outcome = await options.log.group(`CUDA ${release}: ${names.join(', ')}`, () =>
    fillOnce(
      dir,
      async (staging) => {
        const archives = selectArchives(names, await loadManifest(), platform);
        const total = archives.reduce((sum, a) => sum + a.size, 0);
        options.log.info(`Downloading ${archives.length} components (${(total / 1e6).toFixed(1)} MB) from ${mirror}`);
        downloadedBytes = await buildFromRedist(archives, mirror, release, platform, staging, options);
        await confirmNvcc(path.join(staging, 'toolkit'), platform, majorMinorOf(version), ctx.run, names.includes('cuda_nvcc'));
      },
      { lock: { ...options.lock, onWait: (m) => options.log.info(m) }, userDir: Boolean(request.installDir) },
    ),
  );
  const components = await readComponents(toolkitLayout(dir, platform).versionJson);
  if (outcome === 'found') checkFound(dir, release, names, components, Boolean(request.installDir));
  return {
    version: release,
    majorMinor: majorMinorOf(version),
    root: dir,
    nvcc: names.includes('cuda_nvcc') ? toolkitLayout(dir, platform).nvcc : '',
    source: outcome === 'found' ? 'cache' : 'download',
    cacheHit: outcome === 'found',
    method: 'redist',
    components: components.filter((c) => c.name !== 'cuda'),
    downloadedBytes,
  };
}

/** One key for lookup and save: the release, the platform and exactly these components. */
export function toolCacheKey(release: string, platform: RedistPlatform, names: readonly string[]) {
  const components = createHash('sha256').update([...names].sort().join(',')).digest('hex').slice(0, 10);
  return { tool: 'cuda', version: release, arch: `${platform}-${components}` };
}

function toolCacheRoot(request: SetupRequest): string {
  if (!request.toolCache) {
    throw inputError('install-dir', 'is empty and RUNNER_TOOL_CACHE is not set', 'Give install-dir, or run on an Actions runner');
  }
  return request.toolCache;
}

/** A reused install-dir must hold what was asked for; the tool cache's key already guarantees it. */
function checkFound(dir: string, release: string, names: string[], components: { name: string; version: string }[], userDir: boolean): void {
  const has = new Map(components.map((c) => [c.name, c.version]));
  const missing = names.filter((n) => !has.has(n));
  if (userDir && (has.get('cuda') !== release || missing.length > 0)) {
    throw inputError(
      'install-dir',
      `${dir} holds CUDA ${has.get('cuda') ?? '(unknown)'} with ${[...has.keys()].filter((n) => n !== 'cuda').join(', ')}, not CUDA ${release} with ${names.join(', ')}`,
      'Choose another folder, or remove this one',
    );
  }
}

async function readComponents(versionJson: string): Promise<{ name: string; version: string }[]> {
  const json = JSON.parse(await readFile(versionJson, 'utf8').catch(() => '{}')) as Record<string, { version?: string }>;
  return Object.entries(json).map(([name, entry]) => ({ name, version: String(entry.version ?? '') }));
}

/** nvcc of the new toolkit must run and be the version asked for, before the toolkit is kept. */
async function confirmNvcc(root: string, platform: RedistPlatform, majorMinor: string, run: ProcessRunner, expected = true): Promise<Toolkit | undefined> {
  if (!expected) return undefined;
  const toolkit = await probe(toolkitLayout(root, platform).nvcc, platform, run);
  if (!toolkit || toolkit.majorMinor !== majorMinor) {
    throw new Error(`the installed nvcc (${toolkitLayout(root, platform).nvcc}) ${toolkit ? `is CUDA ${toolkit.majorMinor}, not ${majorMinor}` : 'does not run'}`);
  }
  return toolkit;
}

async function existingResult(toolkit: Toolkit, platform: RedistPlatform): Promise<Installed> {
  const components = await readComponents(toolkitLayout(toolkit.root, platform).versionJson);
  return {
    version: toolkit.release ?? toolkit.nvccVersion,
    majorMinor: toolkit.majorMinor,
    root: toolkit.root,
    nvcc: toolkit.nvcc,
    source: 'existing',
    cacheHit: false,
    method: 'existing',
    components: components.filter((c) => c.name !== 'cuda'),
    downloadedBytes: 0,
  };
}

/** Downloads the release's installer named in NVIDIA's md5sum.txt and checks its MD5 (NVIDIA publishes no SHA-256 for it). */
async function fetchInstaller(ctx: InstallContext, dir: string): Promise<{ file: string; bytes: number }> {
  const urls = installerUrls(ctx.mirror, ctx.release);
  const sums = parseMd5sums(await downloadText(urls.md5sums, path.join(dir, 'md5sum.txt')));
  const installer = chooseInstaller(sums, ctx.release, ctx.platform);
  const file = path.join(dir, installer.name);
  ctx.options.log.info(`Downloading ${urls.file(installer.name)}`);
  await download(urls.file(installer.name), file);
  await verifyDownload(file, { digest: installer.md5, algorithm: 'md5' }, installer.name);
  ctx.options.log.info(`${installer.name}: md5 matches NVIDIA's md5sum.txt (NVIDIA publishes no sha256 for installers)`);
  return { file, bytes: (await stat(file)).size };
}

async function installWithInstaller(ctx: InstallContext): Promise<Installed> {
  const { request, version, release, platform, run, options } = ctx;
  const majorMinor = majorMinorOf(version);
  if (isWindows(platform)) {
    const names = request.components.includes('full')
      ? windowsToolkitComponents(version.major)
      : expandComponents(request.components, version.major, platform);
    const args = windowsInstallerArgs(names, majorMinor);
    const root = defaultWindowsRoot(majorMinor, (request.env ?? process.env).ProgramFiles ?? 'C:\\Program Files');
    const { file, bytes } = await fetchInstaller(ctx, ctx.temp);
    await options.log.group(`NVIDIA installer ${args.join(' ')}`, () => runChecked(file, args, { onLine: (l) => options.log.info(l) }, run));
    const toolkit = await confirmNvcc(root, platform, majorMinor, run);
    return { ...(await existingResult(toolkit!, platform)), source: 'download', method: 'installer', version: toolkit!.release ?? release, downloadedBytes: bytes };
  }

  if (request.components.join(',') !== 'torch-extension') {
    options.log.notice("method installer: NVIDIA's Linux runfile installs the whole toolkit; components is not used");
  }
  const dir = request.installDir ? path.resolve(request.installDir) : toolCacheDir(toolCacheRoot(request), 'cuda-installer', release, platform);
  let downloadedBytes = 0;
  const outcome = await fillOnce(
    dir,
    async (staging) => {
      const { file, bytes } = await fetchInstaller(ctx, staging);
      downloadedBytes = bytes;
      const args = linuxInstallerArgs(file, path.join(staging, 'toolkit'), path.join(staging, 'tmp'));
      await mkdir(path.join(staging, 'tmp'));
      await options.log.group(`sh ${args.join(' ')}`, () => runChecked('sh', args, { onLine: (l) => options.log.info(l) }, run));
      await confirmNvcc(path.join(staging, 'toolkit'), platform, majorMinor, run);
    },
    { lock: { ...options.lock, onWait: (m) => options.log.info(m) }, userDir: Boolean(request.installDir) },
  );
  const toolkit = await confirmNvcc(dir, platform, majorMinor, run);
  return {
    ...(await existingResult(toolkit!, platform)),
    version: toolkit!.release ?? release,
    source: outcome === 'found' ? 'cache' : 'download',
    cacheHit: outcome === 'found',
    method: 'installer',
    downloadedBytes,
  };
}
