import type { Log } from '../core/context';
import { inputError } from '../core/errors';
import { readSourceFacts } from './facts';
import { flashAttn } from './flash-attn';
import { generic } from './generic';
import { type PackageProfile, type SourceFacts } from './profile';
import { sageattention } from './sageattention';
import { sageattention1 } from './sageattention1';
import { sageattn3 } from './sageattn3';

export { defaultArchs, packageArchProblem, profileForSource, type PackageProfile } from './profile';

/** Every package sagewheels knows, one file each, by name; `generic` last, as what is left. */
export const PROFILES = {
  sageattention,
  sageattn3,
  sageattention1,
  'flash-attn': flashAttn,
  generic,
} as const satisfies Record<string, PackageProfile>;
const LIST: readonly PackageProfile[] = Object.values(PROFILES);
export const PACKAGE_NAMES: readonly string[] = LIST.map((p) => p.name);
/** The `package` input's choices: auto, then every package. */
export const PACKAGE_CHOICES: readonly string[] = ['auto', ...PACKAGE_NAMES];
/** The package `auto` means when no source is given: the one whose repository is the default source. */
export const DEFAULT_PACKAGE = sageattention;

/** The `package` input's description, from the list. */
export function packageInputDescription(auto: string): string {
  return `${auto}. Or one of: ${LIST.map((p) => `${p.name}: ${p.summary}`).join('; ')}`;
}

export function packageProfile(name: string): PackageProfile {
  const profile = LIST.find((p) => p.name === name);
  if (!profile) throw inputError('package', `"${name}" is not known`, `Allowed: ${PACKAGE_CHOICES.join(', ')}`);
  return profile;
}

/** The package this source is, by what its setup.py / pyproject.toml declare; generic when none claims it. */
export function recognisePackage(facts: SourceFacts): PackageProfile {
  return LIST.find((profile) => profile.recognise(facts)) ?? generic;
}

/** The package of a source folder, and the line that says why: "package: auto -> sageattention (...)". */
export async function recogniseSource(dir: string): Promise<{ profile: PackageProfile; note: string }> {
  const facts = await readSourceFacts(dir);
  const profile = recognisePackage(facts);
  const why = facts.project
    ? `the source declares project ${facts.project}${facts.version ? ` ${facts.version}` : ''}`
    : facts.setupPy || facts.pyproject
      ? 'the source declares no project name'
      : `no setup.py or pyproject.toml in ${dir}`;
  return { profile, note: `package: auto -> ${profile.name} (${why})` };
}

/** `package: auto` resolved for a source folder, saying which it chose and why. */
export async function resolvePackage(input: string, dir: string, log: Log): Promise<PackageProfile> {
  if (input !== 'auto') return packageProfile(input);
  const { profile, note } = await recogniseSource(dir);
  log.info(note);
  return profile;
}

/** `package: auto` resolved for a built wheel, by the project its METADATA names. */
export function packageOfProject(project: string, version?: string): PackageProfile {
  return recognisePackage({ dir: '', project, version });
}
