import { compareVersions } from '../core/version';

/*
 * The manylinux policies (PEP 600) as auditwheel publishes them (pypa/auditwheel,
 * src/auditwheel/policy/manylinux-policy.json at 86154d15, 2026-08): for each policy and arch,
 * the newest symbol version of each family a system of that policy provides, and the libraries
 * it provides. The JSON lists every version; the newest is enough here because a library's
 * versions only grow. manylinux_2_37 is left out: its data stops at GLIBC_2.36.
 */

export type LinuxArch = 'x86_64' | 'aarch64';
export const LINUX_ARCHS: readonly LinuxArch[] = ['x86_64', 'aarch64'];

/** Symbol-version families a policy bounds, by the prefix of the version name. */
type Family = 'GLIBC' | 'GLIBCXX' | 'CXXABI' | 'GCC' | 'ZLIB' | 'LIBATOMIC';
const FAMILIES: readonly Family[] = ['GLIBC', 'GLIBCXX', 'CXXABI', 'GCC', 'ZLIB', 'LIBATOMIC'];

/** CXXABI, GCC, GLIBC, GLIBCXX, ZLIB, LIBATOMIC ceilings ('' where the family has no version). */
type Row = readonly [string, string, string, string, string, string];

export interface Policy {
  /** manylinux_2_28 */
  name: string;
  /** The glibc it promises: "2.28". */
  glibc: string;
  /** The legacy name pip before 20.3 knows (manylinux2014). */
  alias?: string;
  ceilings: Partial<Record<LinuxArch, Record<Family, string>>>;
  libraries: ReadonlySet<string>;
}

const LIBS_2_5 = [
  'libatomic.so.1',
  'libgcc_s.so.1',
  'libstdc++.so.6',
  'libm.so.6',
  'libanl.so.1',
  'libdl.so.2',
  'librt.so.1',
  'libc.so.6',
  'libnsl.so.1',
  'libutil.so.1',
  'libpthread.so.0',
  'libX11.so.6',
  'libXext.so.6',
  'libXrender.so.1',
  'libICE.so.6',
  'libSM.so.6',
  'libGL.so.1',
  'libgobject-2.0.so.0',
  'libgthread-2.0.so.0',
  'libglib-2.0.so.0',
  'libresolv.so.2',
  'libz.so.1',
];
const LIBS_2_12 = [...LIBS_2_5, 'libexpat.so.1'];
const LIBS_2_24 = [...LIBS_2_12, 'libmvec.so.1'];

const row = ([cxxabi, gcc, glibc, glibcxx, zlib, atomic]: Row): Record<Family, string> => ({
  CXXABI: cxxabi,
  GCC: gcc,
  GLIBC: glibc,
  GLIBCXX: glibcxx,
  ZLIB: zlib,
  LIBATOMIC: atomic,
});

function policy(glibc: string, libs: string[], x86: Row, arm?: Row, alias?: string): Policy {
  return {
    name: `manylinux_${glibc.replace('.', '_')}`,
    glibc,
    alias,
    ceilings: { x86_64: row(x86), ...(arm ? { aarch64: row(arm) } : {}) },
    libraries: new Set(libs),
  };
}

/** Oldest first. */
export const POLICIES: readonly Policy[] = [
  policy('2.5', LIBS_2_5, ['1.3.1', '4.2.0', '2.5', '3.4.8', '', ''], undefined, 'manylinux1'),
  policy('2.12', LIBS_2_12, ['1.3.3', '4.3.0', '2.12', '3.4.13', '1.2.2.4', ''], undefined, 'manylinux2010'),
  policy(
    '2.17',
    LIBS_2_12,
    ['1.3.7', '4.8.0', '2.17', '3.4.19', '1.2.5.2', ''],
    ['1.3.7', '4.7.0', '2.18', '3.4.19', '1.2.5.2', '1.0'],
    'manylinux2014',
  ),
  policy(
    '2.24',
    LIBS_2_24,
    ['1.3.10', '4.8.0', '2.24', '3.4.22', '1.2.5.2', '1.2'],
    ['1.3.10', '4.7.0', '2.24', '3.4.22', '1.2.5.2', '1.2'],
  ),
  policy(
    '2.26',
    LIBS_2_24,
    ['1.3.10', '4.8.0', '2.26', '3.4.22', '1.2.5.2', '1.2'],
    ['1.3.11', '7.0.0', '2.26', '3.4.24', '1.2.5.2', '1.2'],
  ),
  policy(
    '2.27',
    LIBS_2_24,
    ['1.3.11', '7.0.0', '2.27', '3.4.24', '1.2.9', '1.2'],
    ['1.3.11', '7.0.0', '2.27', '3.4.24', '1.2.9', '1.2'],
  ),
  policy(
    '2.28',
    LIBS_2_24,
    ['1.3.11', '7.0.0', '2.28', '3.4.24', '1.2.9', '1.2'],
    ['1.3.11', '7.0.0', '2.28', '3.4.24', '1.2.9', '1.2'],
  ),
  policy(
    '2.31',
    LIBS_2_24,
    ['1.3.12', '7.0.0', '2.31', '3.4.28', '1.2.9', '1.2'],
    ['1.3.12', '7.0.0', '2.31', '3.4.28', '1.2.9', '1.2'],
  ),
  policy(
    '2.34',
    LIBS_2_24,
    ['1.3.13', '7.0.0', '2.34', '3.4.29', '1.2.9', '1.2'],
    ['1.3.13', '11.0', '2.34', '3.4.29', '1.2.9', '1.2'],
  ),
  policy(
    '2.35',
    LIBS_2_24,
    ['1.3.13', '12.0.0', '2.35', '3.4.30', '1.2.9', '1.2'],
    ['1.3.13', '11.0', '2.35', '3.4.30', '1.2.9', '1.2'],
  ),
  policy(
    '2.36',
    LIBS_2_24,
    ['1.3.13', '12.0.0', '2.36', '3.4.30', '1.2.9', '1.2'],
    ['1.3.13', '11.0', '2.36', '3.4.30', '1.2.9', '1.2'],
  ),
  policy(
    '2.38',
    LIBS_2_24,
    ['1.3.13', '12.0.0', '2.38', '3.4.30', '1.2.12', '1.2'],
    ['1.3.13', '11.0', '2.38', '3.4.30', '1.2.12', '1.2'],
  ),
  policy(
    '2.39',
    LIBS_2_24,
    ['1.3.15', '14.0.0', '2.39', '3.4.33', '1.2.12', '1.2'],
    ['1.3.15', '14.0.0', '2.39', '3.4.33', '1.2.12', '1.2'],
  ),
  policy(
    '2.40',
    LIBS_2_24,
    ['1.3.15', '14.0.0', '2.40', '3.4.33', '1.2.12', '1.2'],
    ['1.3.15', '14.0.0', '2.40', '3.4.33', '1.2.12', '1.2'],
  ),
  policy(
    '2.41',
    LIBS_2_24,
    ['1.3.15', '14.0.0', '2.41', '3.4.33', '1.2.12', '1.2'],
    ['1.3.15', '14.0.0', '2.41', '3.4.33', '1.2.12', '1.2'],
  ),
];

/** The dynamic loader itself is the system's, whatever the policy. */
const LOADERS = new Set(['ld-linux-x86-64.so.2', 'ld-linux-aarch64.so.1']);

/**
 * Libraries the torch a wheel pins brings (its own and the CUDA wheels it installs), and the
 * interpreter's: auditwheel is run with --exclude for the same names.
 */
export const PROVIDED_BY_TORCH = /^(?:libtorch|libc10|libcu|libnv|libpython)/;

/** A policy by its name or legacy alias (manylinux2014); undefined for any other text. */
export function findPolicy(name: string): Policy | undefined {
  return POLICIES.find((p) => p.name === name || p.alias === name);
}

/** One ELF file's needs, as readElfNeeds gives them, with its path in the wheel. */
export interface ElfFile {
  path: string;
  machine: string;
  needed: string[];
  versions: { library: string; version: string }[];
  /** Why the file's needs are unknown (larger than what is read of one binary): it holds under no policy. */
  unread?: string;
}

/** Whether a library a file needs is one the system need not provide. */
const providedElsewhere = (library: string, inWheel: ReadonlySet<string>): boolean =>
  LOADERS.has(library) || PROVIDED_BY_TORCH.test(library) || inWheel.has(library);

/**
 * Each reason the files do not hold under the policy, one sentence each (empty: they hold):
 * a library the policy's systems do not provide, or a symbol version newer than they have.
 */
export function violations(policy: Policy, arch: LinuxArch, files: readonly ElfFile[]): string[] {
  const ceilings = policy.ceilings[arch];
  if (!ceilings) return [`${policy.name} has no ${arch} systems`];
  const inWheel = new Set(files.map((f) => f.path.split('/').pop()!));
  const found: string[] = [];
  for (const file of files) {
    if (file.unread) {
      found.push(`${file.path} could not be read: ${file.unread}`);
      continue;
    }
    if (file.machine !== arch) found.push(`${file.path} is built for ${file.machine}, not ${arch}`);
    for (const library of file.needed) {
      if (!providedElsewhere(library, inWheel) && !policy.libraries.has(library))
        found.push(`${file.path} needs ${library}, which ${policy.name} systems do not provide`);
    }
    for (const { library, version } of file.versions) {
      if (providedElsewhere(library, inWheel)) continue;
      const why = versionProblem(version, ceilings, arch, policy);
      if (why) found.push(`${file.path} needs ${version} (from ${library}), ${why}`);
    }
  }
  return [...new Set(found)];
}

function versionProblem(
  version: string,
  ceilings: Record<Family, string>,
  arch: LinuxArch,
  policy: Policy,
): string | undefined {
  const family = FAMILIES.find((f) => version.startsWith(`${f}_`));
  if (!family) return undefined; // a library's own versions (libfoo's FOO_1.0): the library check covers it
  const number = version.slice(family.length + 1);
  if (family === 'CXXABI' && number === 'TM_1' && compareVersions(policy.glibc, '2.17') >= 0) return undefined;
  if (family === 'CXXABI' && number === 'FLOAT128' && arch === 'x86_64' && compareVersions(policy.glibc, '2.24') >= 0)
    return undefined;
  if (!/^\d+(?:\.\d+)*$/.test(number)) return `which no manylinux system promises`;
  const ceiling = ceilings[family];
  if (ceiling === '' || compareVersions(number, ceiling) > 0)
    return `newer than ${policy.name} allows (${ceiling ? `${family}_${ceiling}` : `no ${family}`})`;
  return undefined;
}

/** The newest version of each family the files need from the system: { GLIBC: "2.34", GLIBCXX: "3.4.30" }. */
export function newestNeeded(files: readonly ElfFile[]): Partial<Record<Family, string>> {
  const inWheel = new Set(files.map((f) => f.path.split('/').pop()!));
  const newest: Partial<Record<Family, string>> = {};
  for (const { library, version } of files.flatMap((f) => f.versions)) {
    if (providedElsewhere(library, inWheel)) continue;
    const family = FAMILIES.find((f) => version.startsWith(`${f}_`));
    const number = family && version.slice(family.length + 1);
    if (!family || !number || !/^\d+(?:\.\d+)*$/.test(number)) continue;
    if (!newest[family] || compareVersions(number, newest[family]) > 0) newest[family] = number;
  }
  return newest;
}

export interface Verdict {
  arch: LinuxArch;
  /** The oldest policy the files hold under; undefined when none does. */
  policy?: Policy;
  /** The oldest glibc the wheel loads on: the policy's, else the newest GLIBC_ version needed. */
  glibc?: string;
  /** Why not even the newest policy holds (empty when one does). */
  blockers: string[];
  newest: Partial<Record<Family, string>>;
}

/** The oldest manylinux policy the files hold under, or what prevents every one. */
export function judge(arch: LinuxArch, files: readonly ElfFile[]): Verdict {
  const newest = newestNeeded(files);
  const holding = POLICIES.filter((p) => p.ceilings[arch]).find((p) => violations(p, arch, files).length === 0);
  if (holding) return { arch, policy: holding, glibc: holding.glibc, blockers: [], newest };
  const last = POLICIES[POLICIES.length - 1]!;
  return { arch, glibc: newest.GLIBC, blockers: violations(last, arch, files), newest };
}

/** The platform tag of a policy, with the legacy alias pip < 20.3 needs: manylinux_2_17_x86_64.manylinux2014_x86_64. */
export const policyTag = (policy: Policy, arch: LinuxArch): string =>
  [policy.name, policy.alias]
    .filter(Boolean)
    .map((name) => `${name}_${arch}`)
    .join('.');

/** The glibc a platform tag promises to load on ("2.17" for manylinux2014_x86_64); undefined for linux_*. */
export function promisedGlibc(tag: string): { glibc: string; arch: string } | undefined {
  const pep600 = /^manylinux_(\d+)_(\d+)_(\w+)$/.exec(tag);
  if (pep600) return { glibc: `${pep600[1]}.${pep600[2]}`, arch: pep600[3]! };
  const legacy = /^(manylinux1|manylinux2010|manylinux2014)_(\w+)$/.exec(tag);
  if (legacy) return { glibc: findPolicy(legacy[1]!)!.glibc, arch: legacy[2]! };
  return undefined;
}

/** The arch of a linux_* or manylinux platform tag, when it is one sagewheels judges. */
export function linuxArch(tag: string): LinuxArch | undefined {
  const arch = /^(?:linux|manylinux\w*?)_(x86_64|aarch64)$/.exec(tag)?.[1];
  return arch as LinuxArch | undefined;
}
