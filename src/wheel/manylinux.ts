import path from 'node:path';
import type { Log } from '../core/context';
import { inputError } from '../core/errors';
import { compareVersions } from '../core/version';
import { readElfNeeds } from '../verify/binary';
import { BINARY_CAP, inspectWheel } from './integrity';
import { parseWheelName } from './name';
import {
  findPolicy,
  judge,
  linuxArch,
  POLICIES,
  policyTag,
  promisedGlibc,
  violations,
  type ElfFile,
  type Verdict,
} from './policy';

/** The platform-tag input: auto (the oldest manylinux the wheel holds under), linux (leave it), or a policy. */
export const PLATFORM_TAGS: readonly string[] = [
  'auto',
  'linux',
  ...POLICIES.map((p) => p.name),
  ...POLICIES.flatMap((p) => (p.alias ? [p.alias] : [])),
];
export const PLATFORM_TAG_HELP = `Allowed: ${PLATFORM_TAGS.join(', ')}`;

export function checkPlatformTagInput(value: string): void {
  if (value !== 'auto' && value !== 'linux' && !findPolicy(value))
    throw inputError('platform-tag', `"${value}" is not a platform tag sagewheels can give`, PLATFORM_TAG_HELP);
}

/** Every ELF file of the wheel with what it needs; one file in memory at a time, each at most BINARY_CAP. */
export async function wheelElfFiles(file: string): Promise<ElfFile[]> {
  const files: ElfFile[] = [];
  await inspectWheel(file, {
    binary: (name, data, size) => {
      if (!data) files.push({ path: name, ...unreadElf(size) });
      else if (data.readUInt32BE(0) === 0x7f454c46) files.push({ path: name, ...readElfNeeds(data) });
    },
  });
  return files;
}

/** A binary larger than BINARY_CAP: its needs are unknown, so it holds under no policy. */
export const unreadElf = (size: number): Omit<ElfFile, 'path'> => ({
  machine: 'unknown',
  needed: [],
  versions: [],
  unread: `it is ${size} bytes, and sagewheels reads binaries up to ${BINARY_CAP / 2 ** 20} MiB`,
});

/** "GLIBC 2.34, GLIBCXX 3.4.30, CXXABI 1.3.13" */
export const formatNewest = (verdict: Verdict): string =>
  Object.entries(verdict.newest)
    .map(([family, version]) => `${family} ${version}`)
    .join(', ') || 'no versioned system symbols';

/**
 * The platform tag a freshly built linux_* wheel should carry under the platform-tag input, or
 * undefined to keep it: auto gives the oldest manylinux policy its ELF files hold under (torch's
 * and CUDA's libraries count as provided by the torch it pins); an explicit policy the wheel
 * cannot honour fails, naming the file and the library or symbol.
 */
export async function chooseLinuxTag(file: string, input: string, log: Log): Promise<string | undefined> {
  const name = parseWheelName(path.basename(file));
  const arch = linuxArch(name.platform);
  if (input === 'linux' || !arch || !name.platform.startsWith('linux_')) return undefined;
  const files = await wheelElfFiles(file);
  const verdict = judge(arch, files);
  log.info(`${name.distribution}: ${files.length} ELF files need ${formatNewest(verdict)}`);
  if (input === 'auto') {
    if (verdict.policy) {
      const tag = policyTag(verdict.policy, arch);
      log.info(`platform tag ${tag}: installs on glibc >= ${verdict.policy.glibc}`);
      return tag;
    }
    log.warning(`keeping ${name.platform}: no manylinux policy holds: ${verdict.blockers.join('; ')}`);
    return undefined;
  }
  const policy = findPolicy(input)!;
  const problems = violations(policy, arch, files);
  if (problems.length > 0) {
    throw inputError(
      'platform-tag',
      `${input} cannot be given: ${problems.join('; ')}`,
      verdict.policy
        ? `The wheel holds under ${verdict.policy.name}: use auto or that, or build on an older system (a manylinux_2_28 container)`
        : 'Use auto or linux, or build on an older system (a manylinux_2_28 container)',
    );
  }
  log.info(`platform tag ${policyTag(policy, arch)} (platform-tag: ${input})`);
  return policyTag(policy, arch);
}

/** What verify reports of a Linux wheel's system needs (report field `linux`). */
export interface LinuxReport {
  /** The oldest glibc the wheel loads on. */
  glibc?: string;
  /** The oldest manylinux policy its ELF files hold under. */
  policy?: string;
  /** The newest version of each symbol family needed: { GLIBC: "2.34", GLIBCXX: "3.4.30" }. */
  newest: Record<string, string>;
  /** What keeps it from every manylinux policy. */
  blockers: string[];
}

/**
 * Holds a wheel's ELF files against the glibc its platform tags promise: a manylinux_2_17 tag on
 * a wheel that needs GLIBC_2.34 is a wheel that fails to load where pip installs it. Undefined
 * for wheels that are not Linux x86_64 or aarch64.
 */
export function judgeLinuxWheel(
  platform: string,
  binaries: readonly { path: string; elf?: Omit<ElfFile, 'path'> }[],
): { report: LinuxReport; line: string; problems: string[] } | undefined {
  const tags = platform.split('.');
  const arch = tags.map(linuxArch).find(Boolean);
  if (!arch) return undefined;
  const files = binaries.flatMap((b) => (b.elf ? [{ path: b.path, ...b.elf }] : []));
  const verdict = judge(arch, files);
  const report: LinuxReport = {
    glibc: verdict.glibc,
    policy: verdict.policy?.name,
    newest: verdict.newest,
    blockers: verdict.blockers,
  };
  const line = verdict.policy
    ? `glibc: installs on glibc >= ${verdict.glibc} (${verdict.policy.name}; needs ${formatNewest(verdict)})`
    : `glibc: no manylinux policy holds (${verdict.blockers.join('; ')})`;
  const problems: string[] = [];
  for (const tag of tags) {
    const promised = promisedGlibc(tag);
    if (!promised) continue;
    const policy = findPolicy(`manylinux_${promised.glibc.replace('.', '_')}`);
    // A policy sagewheels has no data for is held to its glibc alone.
    const wrong = policy
      ? violations(policy, arch, files)
      : verdict.newest.GLIBC && compareVersions(verdict.newest.GLIBC, promised.glibc) > 0
        ? [`the wheel needs GLIBC_${verdict.newest.GLIBC}`]
        : [];
    if (wrong.length > 0) problems.push(`the tag ${tag} promises glibc ${promised.glibc}, but ${wrong.join('; ')}`);
  }
  return { report, line, problems };
}
