import { lstat, mkdir, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { extractZip } from '../wheel/zip';
import { checkLinksInside } from './links';
import type { Archive } from './manifest';
import { isWindows, type RedistPlatform } from './platform';
import { extractTarXz } from './tar';

/** Unpacks one component archive into `dir`; returns the folder holding its bin, include, lib... */
export async function unpackComponent(file: string, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  if (file.endsWith('.tar.xz')) await extractTarXz(file, dir);
  else if (file.endsWith('.zip')) await extractZip(file, dir);
  else throw new Error(`${path.basename(file)} is neither a .tar.xz nor a .zip archive`);
  // NVIDIA's archives hold one folder, <component>-<platform>-<version>-archive.
  const top = await readdir(dir, { withFileTypes: true });
  const componentDir = top.length === 1 && top[0]!.isDirectory() ? path.join(dir, top[0]!.name) : dir;
  // What is merged is that folder: a link may not reach even one level above it.
  await checkLinksInside(componentDir, `the folder ${path.basename(componentDir)}`);
  return componentDir;
}

/**
 * Moves a component's folders into the toolkit prefix, merging folders that several components
 * share (bin, include, lib); its top-level files (LICENSE) go to licenses/<component>/. Returns the
 * files another component had already placed, which this one replaced.
 */
export async function mergeComponent(componentDir: string, prefix: string, component: string): Promise<string[]> {
  const replaced: string[] = [];
  const move = async (from: string, to: string): Promise<void> => {
    const existing = await lstat(to).catch(() => undefined);
    const source = await lstat(from);
    if (existing?.isDirectory() && source.isDirectory()) {
      for (const name of await readdir(from)) await move(path.join(from, name), path.join(to, name));
      return;
    }
    if (existing) {
      replaced.push(path.relative(prefix, to));
      await rm(to, { recursive: true, force: true });
    }
    await mkdir(path.dirname(to), { recursive: true });
    await rename(from, to);
  };
  for (const item of await readdir(componentDir, { withFileTypes: true })) {
    const to = item.isDirectory() ? path.join(prefix, item.name) : path.join(prefix, 'licenses', component, item.name);
    await move(path.join(componentDir, item.name), to);
  }
  return replaced;
}

/**
 * Completes a merged prefix: Linux redist archives put libraries in lib/, where PyTorch and CMake
 * look in lib64/; version.json records the release and components the way NVIDIA's installer does.
 */
export async function finishPrefix(
  prefix: string,
  platform: RedistPlatform,
  release: string,
  archives: readonly Archive[],
): Promise<void> {
  if (!isWindows(platform)) {
    const lib = await lstat(path.join(prefix, 'lib')).catch(() => undefined);
    const lib64 = await lstat(path.join(prefix, 'lib64')).catch(() => undefined);
    if (lib?.isDirectory() && !lib64) await symlink('lib', path.join(prefix, 'lib64'));
  }
  const versions: Record<string, { name: string; version: string }> = { cuda: { name: 'CUDA SDK', version: release } };
  for (const archive of archives) versions[archive.component] = { name: archive.title, version: archive.version };
  await writeFile(path.join(prefix, 'version.json'), `${JSON.stringify(versions, null, 2)}\n`);
}
