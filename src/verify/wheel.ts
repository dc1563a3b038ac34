import { errorMessage } from '../core/errors';
import { inspectWheel, type InspectedWheel } from '../wheel/integrity';
import { unreadElf } from '../wheel/manylinux';
import { readElfNeeds, readGpuCode, readPeImports, type ElfNeeds, type PeImports } from './binary';
import type { FatbinEntry } from './fatbin';

export { expandTags, parseHeaders } from '../wheel/integrity';

/** What one binary (ELF or PE) of the wheel holds, read while the wheel streamed past. */
export interface BinaryFile {
  path: string;
  gpu?: { format: 'elf' | 'pe' | 'coff'; entries: FatbinEntry[] };
  /** Why its GPU code could not be read. */
  gpuError?: string;
  /** ELF files only: the libraries and symbol versions it needs (`unread` when too large to read). */
  elf?: ElfNeeds & { unread?: string };
  /** PE images (.pyd, .dll) only: the DLLs and functions they import. */
  pe?: PeImports;
}

/** A wheel checked in one streaming pass, with what its binaries hold; no file's bytes are kept. */
export interface WheelArchive extends Pick<InspectedWheel, 'file' | 'name' | 'project' | 'problems'> {
  entries: { name: string }[];
  binaries: BinaryFile[];
}

/** A Python extension module inside the wheel. */
export interface ExtensionFile {
  /** Dotted import name: sageattention._qattn_sm89 */
  module: string;
  path: string;
  binary?: BinaryFile;
}

/**
 * Reads a wheel and checks it as pip would have to trust it (src/wheel/integrity.ts), reading
 * each binary's GPU code and ELF needs as it streams past, one binary in memory at a time.
 * Throws only when the file is no readable wheel at all.
 */
export async function readWheel(file: string, within: readonly string[] = []): Promise<WheelArchive> {
  const binaries: BinaryFile[] = [];
  const wheel = await inspectWheel(file, {
    within,
    binary: (name, data, size) => {
      const found: BinaryFile = { path: name };
      binaries.push(found);
      if (!data) {
        found.elf = unreadElf(size);
        found.gpuError = found.elf.unread;
        return;
      }
      try {
        found.gpu = readGpuCode(data);
      } catch (error) {
        found.gpuError = errorMessage(error);
      }
      if (data.readUInt32BE(0) === 0x7f454c46) {
        try {
          found.elf = readElfNeeds(data);
        } catch {
          // an ELF whose dynamic section cannot be read has nothing to hold against a policy
        }
      }
      if (data.toString('latin1', 0, 2) === 'MZ') {
        try {
          found.pe = readPeImports(data);
        } catch {
          // an image whose imports cannot be read is judged by what else verify reads of it
        }
      }
    },
  });
  return {
    file,
    name: wheel.name,
    project: wheel.project,
    problems: wheel.problems,
    entries: wheel.entries,
    binaries,
  };
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Extension modules (.so, .pyd) by their import name. Files under `<name>.data/platlib` or
 * `purelib` install at the top; shared libraries that no import reaches (auditwheel's
 * `<name>.libs`) are not modules and are left out.
 */
export function extensionModules(archive: WheelArchive): ExtensionFile[] {
  const modules: ExtensionFile[] = [];
  for (const item of archive.entries) {
    const installed = item.name.replace(/^[^/]+\.data\/(?:platlib|purelib)\//, '');
    if (!/\.(so|pyd)$/.test(installed) || installed.split('/')[0]!.endsWith('.data')) continue;
    const parts = installed.split('/');
    const leaf = parts.pop()!.split('.')[0]!;
    if (![...parts, leaf].every((part) => IDENTIFIER.test(part))) continue;
    const binary = archive.binaries.find((b) => b.path === item.name);
    modules.push({ module: [...parts, leaf].join('.'), path: item.name, binary });
  }
  return modules.sort((a, b) => a.module.localeCompare(b.module));
}

/** Top-level names the wheel installs (packages and modules), from its files. */
export function topLevelNames(archive: WheelArchive): string[] {
  const names = new Set<string>();
  for (const item of archive.entries) {
    const installed = item.name.replace(/^[^/]+\.data\/(?:platlib|purelib)\//, '');
    const [top, ...rest] = installed.split('/');
    if (!top || top.endsWith('.dist-info') || top.endsWith('.data')) continue;
    const name = rest.length > 0 ? top : top.split('.')[0]!;
    if (IDENTIFIER.test(name) && (rest.length > 0 || /\.(py|so|pyd)$/.test(top))) names.add(name);
  }
  return [...names].sort();
}
