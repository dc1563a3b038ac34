import { spawn } from 'node:child_process';
import path from 'node:path';
import * as tar from 'tar';
import { ancestors, checkLinksInside, escapes } from './links';

/**
 * The most an archive may hold, as for wheels (src/wheel/zip.ts): far above any component of
 * NVIDIA's redist tree; past them it is refused as soon as the count or the sizes pass.
 */
export const TAR_LIMITS = { entries: 100_000, bytes: 16 * 2 ** 30 };

/** Entry types that are extracted; devices, FIFOs and the rest are refused. */
const EXTRACTED = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink', 'Link']);

/**
 * Why an entry must not be extracted below the root (undefined when it may). `symlinks` collects
 * the archive's symlinks seen so far, so that no later entry is written or linked through one.
 */
export function refusal(name: string, type: string, linkpath: string, symlinks: Set<string>): string | undefined {
  if (!EXTRACTED.has(type))
    return `entry "${name}" is a ${type}, which is not extracted (only files, folders and links)`;
  if (escapes(name)) return `entry "${name}" escapes the extraction folder`;
  const rel = path.posix.normalize(name).replace(/\/+$/, '');
  const through = ancestors(rel).find((a) => symlinks.has(a));
  if (through) return `entry "${name}" would be written through the symlink "${through}"`;
  if (type === 'SymbolicLink') {
    if (path.posix.isAbsolute(linkpath) || escapes(path.posix.join(path.posix.dirname(rel), linkpath))) {
      return `symlink "${name}" -> "${linkpath}" points outside the extraction folder`;
    }
    symlinks.add(rel);
  }
  if (type === 'Link') {
    if (escapes(linkpath)) return `hard link "${name}" -> "${linkpath}" points outside the extraction folder`;
    const source = path.posix.normalize(linkpath);
    if (symlinks.has(source) || ancestors(source).some((a) => symlinks.has(a))) {
      return `hard link "${name}" points through a symlink`;
    }
  }
  return undefined;
}

/**
 * Decompresses a .tar.xz with the xz tool (GNU/Linux runners have it) and extracts it below `root`
 * (empty) with node-tar, strict: any warning of node-tar's is an error. Refused before anything is
 * written for them: names that are absolute or climb out, links whose target leaves `root`, entries
 * written or hard-linked through a symlink, devices and FIFOs. Afterwards every symlink must
 * resolve inside `root` through every link on its way.
 */
export async function extractTarXz(file: string, root: string, limits = TAR_LIMITS): Promise<void> {
  const xz = spawn('xz', ['-dc', '-T0', '--', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  xz.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  const exited = new Promise<number>((resolve, reject) => {
    xz.on('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT'
          ? new Error('xz is not installed: install xz-utils to unpack NVIDIA .tar.xz archives')
          : error,
      ),
    );
    xz.on('close', (code) => resolve(code ?? 1));
  });
  exited.catch(() => undefined); // awaited below; this only keeps an early failure from counting as unhandled
  const xzFailed = (code?: number) =>
    new Error(`xz could not decompress ${path.basename(file)}: ${stderr.trim() || `exit code ${code}`}`);

  const symlinks = new Set<string>();
  let entries = 0;
  let bytes = 0;
  const overLimits = (size: number): string | undefined => {
    entries += 1;
    bytes += size;
    if (entries > limits.entries)
      return `${path.basename(file)} holds more than ${limits.entries} entries (a tar bomb?)`;
    if (bytes > limits.bytes) return `${path.basename(file)} unpacks to more than ${limits.bytes} bytes (a tar bomb?)`;
    return undefined;
  };
  const extracted = new Promise<void>((resolve, reject) => {
    const unpack = tar.x({
      cwd: root,
      strict: true,
      preserveOwner: false,
      filter: (name, entry) => {
        const { type, linkpath, size } = entry as tar.ReadEntry; // extraction always passes entries
        const why = overLimits(size ?? 0) ?? refusal(name, type, linkpath ?? '', symlinks);
        if (why) reject(new Error(why));
        return why === undefined;
      },
    });
    unpack.on('finish', () => resolve());
    unpack.on('error', (error: Error & { tarCode?: string }) => {
      const damaged = error.tarCode === 'TAR_ENTRY_INVALID' || error.tarCode === 'TAR_BAD_ARCHIVE';
      const what = damaged ? ' is not a tar archive, or a damaged one' : '';
      reject(new Error(`${path.basename(file)}${what}: ${error.message}`));
    });
    xz.stdout.pipe(unpack);
  });
  try {
    await Promise.all([extracted, exited.then((code) => (code === 0 ? undefined : Promise.reject(xzFailed(code))))]);
  } catch (error) {
    xz.stdout.destroy();
    xz.kill();
    await exited.catch(() => undefined);
    // A damaged stream ends the tar early; xz's own message says why.
    throw stderr.trim() ? xzFailed() : error;
  }
  await checkLinksInside(root);
}
