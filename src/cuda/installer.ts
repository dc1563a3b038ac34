import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { inputError } from '../core/errors';
import { runChecked } from '../core/exec';
import { expandComponents } from './components';
import { download, downloadText, verifyDownload } from './download';
import { confirmNvcc, defaultWindowsRoot, toolkitResult } from './existing';
import { isWindows, type RedistPlatform } from './platform';
import type { InstallContext, Installed } from './request';
import { fillOnce, toolkitDir } from './slot';
import { majorMinorOf } from './versions';

/**
 * NVIDIA's full installers live beside the redist tree: <cuda>/<x.y.z>/local_installers/, and
 * <cuda>/<x.y.z>/docs/sidebar/md5sum.txt lists every installer of that release with its MD5
 * (NVIDIA publishes no SHA-256 for installers). The list also names the file, whose name carries
 * the bundled driver version: cuda_12.8.1_570.124.06_linux.run, cuda_12.8.1_572.61_windows.exe.
 */
export function installerUrls(mirrorUrl: string, release: string) {
  const cudaRoot = new URL('../', mirrorUrl);
  return {
    md5sums: new URL(`${release}/docs/sidebar/md5sum.txt`, cudaRoot).href,
    file: (name: string) => new URL(`${release}/local_installers/${name}`, cudaRoot).href,
  };
}

/** md5sum.txt: "<md5> <file>" per line (one or two spaces, as md5sum writes). */
export function parseMd5sums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^([0-9a-f]{32})\s+\*?(\S+)\s*$/i.exec(line.trim());
    if (match) sums.set(match[2]!.split('/').pop()!, match[1]!.toLowerCase());
  }
  return sums;
}

/** The installer of a release for a platform, chosen from md5sum.txt's file names. */
export function chooseInstaller(
  sums: Map<string, string>,
  release: string,
  platform: RedistPlatform,
): { name: string; md5: string } {
  const v = release.replace(/\./g, '\\.');
  const pattern = {
    'linux-x86_64': new RegExp(`^cuda_${v}_[\\d.]+_linux\\.run$`),
    'linux-sbsa': new RegExp(`^cuda_${v}_[\\d.]+_linux_sbsa\\.run$`),
    'windows-x86_64': new RegExp(`^cuda_${v}_[\\d.]+_windows\\.exe$`),
  }[platform];
  const name = [...sums.keys()].find((file) => pattern.test(file));
  if (!name) {
    const installers = [...sums.keys()].filter((f) => f.endsWith('.run') || f.endsWith('.exe'));
    throw inputError(
      'method',
      `installer: NVIDIA lists no CUDA ${release} installer for ${platform}`,
      `Installers listed: ${installers.join(', ') || 'none'}`,
    );
  }
  return { name, md5: sums.get(name)! };
}

/**
 * The runfile installs the toolkit alone into a folder of ours, so it needs no root: no driver,
 * no man pages under /usr/share, its multi-GB unpacking in our temp folder, and --override so a
 * host gcc newer than the runfile knows does not stop it.
 */
export const linuxInstallerArgs = (runfile: string, toolkitDir: string, tmpDir: string): string[] => [
  runfile,
  '--silent',
  '--toolkit',
  `--toolkitpath=${toolkitDir}`,
  '--no-man-page',
  '--override',
  `--tmpdir=${tmpDir}`,
];

/**
 * The Windows installer's sub-package names for redist components. CUDA 13 split crt and nvvm
 * out of nvcc, as in the redist tree; libraries come as a runtime and a _dev (headers, import
 * libraries) package.
 */
const WINDOWS_SUBPACKAGES: Record<string, string[]> = {
  cuda_nvcc: ['nvcc'],
  cuda_crt: ['crt'],
  libnvvm: ['nvvm'],
  cuda_cudart: ['cudart'],
  cuda_cccl: ['thrust'],
  cuda_cuobjdump: ['cuobjdump'],
  cuda_cupti: ['cupti'],
  cuda_cuxxfilt: ['cuxxfilt'],
  cuda_nvdisasm: ['nvdisasm'],
  cuda_nvml_dev: ['nvml_dev'],
  cuda_nvprune: ['nvprune'],
  cuda_nvrtc: ['nvrtc', 'nvrtc_dev'],
  cuda_nvtx: ['nvtx'],
  cuda_opencl: ['opencl'],
  cuda_profiler_api: ['cuda_profiler_api'],
  cuda_sanitizer_api: ['sanitizer'],
  cuda_tileiras: ['tileiras'],
  cuda_documentation: ['documentation'],
  libcublas: ['cublas', 'cublas_dev'],
  libcufft: ['cufft', 'cufft_dev'],
  libcurand: ['curand', 'curand_dev'],
  libcusolver: ['cusolver', 'cusolver_dev'],
  libcusparse: ['cusparse', 'cusparse_dev'],
  libnpp: ['npp', 'npp_dev'],
  libnvjitlink: ['nvjitlink'],
  libnvjpeg: ['nvjpeg', 'nvjpeg_dev'],
  libnvfatbin: ['nvfatbin'],
  visual_studio_integration: ['visual_studio_integration'],
};

/** `-s` (silent) and the sub-packages for the components, each suffixed with _<major.minor>. */
export function windowsInstallerArgs(components: readonly string[], majorMinor: string): string[] {
  const unknown = components.filter((c) => !(c in WINDOWS_SUBPACKAGES));
  if (unknown.length > 0) {
    throw inputError(
      'components',
      `${unknown.join(', ')} cannot be chosen in NVIDIA's Windows installer`,
      `With method installer: ${Object.keys(WINDOWS_SUBPACKAGES).join(', ')}`,
    );
  }
  const names = components.flatMap((c) => WINDOWS_SUBPACKAGES[c]!);
  return ['-s', ...[...new Set(names)].map((name) => `${name}_${majorMinor}`)];
}

/** Components the Windows installer has only from some release on: crt and nvvm split out in 13.0, tileiras new in 13.1. */
const SINCE: Record<string, [number, number]> = { cuda_crt: [13, 0], libnvvm: [13, 0], cuda_tileiras: [13, 1] };

/** `full` for the Windows installer: every toolkit sub-package of that release, never the display driver. */
export const windowsToolkitComponents = (major: number, minor = 0): string[] =>
  Object.keys(WINDOWS_SUBPACKAGES).filter((c) => {
    const [sinceMajor, sinceMinor] = SINCE[c] ?? [0, 0];
    return major > sinceMajor || (major === sinceMajor && minor >= sinceMinor);
  });

/**
 * The installer method. Windows: the exe with -s and the components' sub-packages, into NVIDIA's
 * folder under Program Files. Linux: the runfile's toolkit into the tool cache (or install-dir),
 * through the same once-only, all-or-nothing placement as a redist install.
 */
export async function installWithInstaller(ctx: InstallContext): Promise<Installed> {
  const { request, version, release, platform, run, options } = ctx;
  const majorMinor = majorMinorOf(version);
  const runInstaller = (command: string, args: string[]) =>
    options.log.group(`${command} ${args.join(' ')}`, () =>
      runChecked(command, args, { onLine: (l) => options.log.info(l) }, run),
    );

  if (isWindows(platform)) {
    const names = request.components.includes('full')
      ? windowsToolkitComponents(version.major, version.minor)
      : expandComponents(request.components, version.major, platform);
    const args = windowsInstallerArgs(names, majorMinor);
    const { file, bytes } = await fetchInstaller(ctx, ctx.temp);
    await runInstaller(file, args);
    const root = defaultWindowsRoot(majorMinor, (request.env ?? process.env).ProgramFiles ?? 'C:\\Program Files');
    const installed = await toolkitResult(await confirmNvcc(root, platform, majorMinor, run), platform);
    return { ...installed, source: 'download', method: 'installer', downloadedBytes: bytes };
  }

  if (request.components.join(',') !== 'torch-extension') {
    options.log.notice("method installer: NVIDIA's Linux runfile installs the whole toolkit; components is not used");
  }
  const dir = toolkitDir(request.installDir, request.toolCache, {
    tool: 'cuda-installer',
    version: release,
    arch: platform,
  });
  let downloadedBytes = 0;
  const outcome = await fillOnce(
    dir,
    async (staging) => {
      const { file, bytes } = await fetchInstaller(ctx, staging);
      downloadedBytes = bytes;
      await mkdir(path.join(staging, 'tmp'));
      await runInstaller('sh', linuxInstallerArgs(file, path.join(staging, 'toolkit'), path.join(staging, 'tmp')));
      await confirmNvcc(path.join(staging, 'toolkit'), platform, majorMinor, run);
    },
    { lock: { ...options.lock, onWait: (m) => options.log.info(m) }, userDir: Boolean(request.installDir) },
  );
  const installed = await toolkitResult(await confirmNvcc(dir, platform, majorMinor, run), platform);
  const found = outcome === 'found';
  return { ...installed, source: found ? 'cache' : 'download', cacheHit: found, method: 'installer', downloadedBytes };
}

/** The release's installer as md5sum.txt names it, checked against its MD5 (NVIDIA publishes no SHA-256 for installers). */
async function fetchInstaller(ctx: InstallContext, dir: string): Promise<{ file: string; bytes: number }> {
  const urls = installerUrls(ctx.mirror, ctx.release);
  const installer = chooseInstaller(
    parseMd5sums(await downloadText(urls.md5sums, path.join(dir, 'md5sum.txt'), ctx.options.log)),
    ctx.release,
    ctx.platform,
  );
  const file = path.join(dir, installer.name);
  ctx.options.log.info(`Downloading ${urls.file(installer.name)}`);
  await download(urls.file(installer.name), file, { log: ctx.options.log });
  await verifyDownload(file, { digest: installer.md5, algorithm: 'md5' }, installer.name);
  ctx.options.log.info(
    `${installer.name}: md5 matches NVIDIA's md5sum.txt (NVIDIA publishes no sha256 for installers)`,
  );
  return { file, bytes: (await stat(file)).size };
}
