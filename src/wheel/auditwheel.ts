import { mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Log } from '../core/context';
import { runChecked, runProcess, type ProcessRunner } from '../core/exec';
import { parseWheelName } from './name';
import { linuxArch } from './policy';

/** What the torch a wheel pins brings, and the interpreter: never grafted into the wheel (as the anchors run it). */
export const AUDITWHEEL_EXCLUDES = ['libtorch*', 'libc10*', 'libcu*', 'libnv*', 'libpython*'];

/** Linux wheels' repair engine: sagewheels' own check (retag only, no network), or auditwheel on the runner. */
export const REPAIR_ENGINES = ['builtin', 'auditwheel'] as const;
export type RepairEngine = (typeof REPAIR_ENGINES)[number];

/**
 * `auditwheel repair` of a linux_* wheel into `outDir`, with the same exclusions as the built-in
 * check; the input wheel (which sagewheels wrote) is replaced. `platformTag` is the build input:
 * auto lets auditwheel pick the oldest policy that holds. Other wheels come back untouched.
 */
export async function auditwheelRepair(
  wheel: string,
  platformTag: string,
  outDir: string,
  log: Log,
  runner: ProcessRunner = runProcess,
): Promise<string> {
  const name = parseWheelName(path.basename(wheel));
  const arch = linuxArch(name.platform);
  if (!arch || !name.platform.startsWith('linux_') || platformTag === 'linux') return wheel;
  const plat = platformTag === 'auto' ? 'auto' : `${platformTag.replace(/^manylinux2014$/, 'manylinux_2_17')}_${arch}`;
  const work = await mkdtemp(path.join(outDir, '.auditwheel-'));
  try {
    const args = ['repair', wheel, '--wheel-dir', work, '--plat', plat, '--only-plat'];
    for (const pattern of AUDITWHEEL_EXCLUDES) args.push('--exclude', pattern);
    log.info(`auditwheel ${args.join(' ')}`);
    await runChecked('auditwheel', args, {}, runner);
    const [repaired] = (await readdir(work)).filter((file) => file.endsWith('.whl'));
    if (!repaired) throw new Error(`auditwheel repair left no wheel for ${path.basename(wheel)}`);
    const target = path.join(outDir, repaired);
    await rename(path.join(work, repaired), target);
    if (target !== wheel) await rm(wheel, { force: true });
    return target;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The platform tag `auditwheel show` finds a wheel consistent with, e.g. manylinux_2_34_x86_64. */
export async function auditwheelShow(wheel: string, runner: ProcessRunner = runProcess): Promise<string> {
  const { stdout } = await runChecked('auditwheel', ['show', wheel], {}, runner);
  const tag = /consistent with the following platform tag: "([^"]+)"/.exec(stdout.replace(/\s+/g, ' '))?.[1];
  if (!tag) throw new Error(`auditwheel show said no platform tag: ${stdout.trim().slice(0, 200)}`);
  return tag;
}
