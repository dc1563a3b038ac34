import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Log } from '../core/context';
import type { ProcessRunner } from '../core/exec';
import { auditwheelRepair, type RepairEngine } from '../wheel/auditwheel';
import { identityProblem } from '../wheel/identity';
import { chooseLinuxTag } from '../wheel/manylinux';
import { type Relabel, relabelWheel } from '../wheel/relabel';
import { BuildFailure } from './failure';
import type { ProjectIdentity } from './requirements';

/**
 * The wheels pip left in `built`, made into what the step hands on, in `outputDir`: each checked to
 * carry the project's name and version, given its Linux platform tag, relabelled, and repaired by
 * auditwheel when asked. `logTail` goes with a wheel that is not the project's.
 */
export async function finishWheels(
  built: string,
  outputDir: string,
  relabel: Omit<Relabel, 'platform'>,
  rules: { project: ProjectIdentity; platformTag: string; repair: RepairEngine },
  logTail: string,
  log: Log,
  run: ProcessRunner,
): Promise<string[]> {
  await mkdir(outputDir, { recursive: true });
  const wheels: string[] = [];
  const auditwheel = rules.repair === 'auditwheel';
  for (const file of (await readdir(built)).filter((name) => name.endsWith('.whl'))) {
    const wrong = identityProblem(file, rules.project);
    if (wrong) throw new BuildFailure(`build failed: ${wrong}`, logTail);
    const platform = auditwheel ? undefined : await chooseLinuxTag(path.join(built, file), rules.platformTag, log);
    const wheel = await relabelWheel(path.join(built, file), { ...relabel, platform }, outputDir);
    wheels.push(auditwheel ? await auditwheelRepair(wheel, rules.platformTag, outputDir, log, run) : wheel);
  }
  if (wheels.length === 0) throw new Error(`pip wheel succeeded but left no wheel in ${built}`);
  return wheels;
}
