import { FATBIN_MAGIC, readFatbinSection, type FatbinEntry } from './fatbin';

/** Where a library keeps its GPU code. */
export interface FatbinSections {
  format: 'elf' | 'pe' | 'coff';
  /** The bytes of each fatbin section (or, in a PE image without one, of each wrapped container). */
  sections: Buffer[];
}

interface Section {
  name: string;
  offset: number;
  size: number;
  /** PE/COFF: the section's relative virtual address. */
  rva?: number;
}

/** Every SASS and PTX entry a library carries, and its file format. */
export function readGpuCode(data: Buffer): { format: FatbinSections['format']; entries: FatbinEntry[] } {
  const { format, sections } = findFatbins(data);
  return { format, entries: sections.flatMap(readFatbinSection) };
}

/** The fatbin sections of an ELF shared object or a PE/COFF DLL or object file. */
export function findFatbins(data: Buffer): FatbinSections {
  if (data.length >= 4 && data.readUInt32BE(0) === 0x7f454c46) {
    return {
      format: 'elf',
      sections: elfSections(data)
        .filter((s) => s.name === '.nv_fatbin')
        .map((s) => slice(data, s)),
    };
  }
  if (data.length >= 64 && data.toString('latin1', 0, 2) === 'MZ') return peFatbins(data);
  if (data.length >= 20 && COFF_MACHINES.has(data.readUInt16LE(0))) {
    return {
      format: 'coff',
      sections: coffSections(data, 0)
        .filter(isFatbinSection)
        .map((s) => slice(data, s)),
    };
  }
  throw new Error('neither an ELF nor a PE/COFF file');
}

function slice(data: Buffer, section: Section): Buffer {
  if (section.offset + section.size > data.length) {
    throw new Error(`section ${section.name} runs past the end of the file (truncated?)`);
  }
  return data.subarray(section.offset, section.offset + section.size);
}

interface ElfSection extends Section {
  type: number;
  link: number;
}

function elfSections(data: Buffer): Section[] {
  const SHT_NOBITS = 8;
  return elfSectionTable(data).filter((h) => h.type !== SHT_NOBITS);
}

function elfSectionTable(data: Buffer): ElfSection[] {
  const is64 = data[4] === 2;
  if (data[5] !== 1) throw new Error('big-endian ELF files are not supported');
  const word = (at: number) => (is64 ? Number(data.readBigUInt64LE(at)) : data.readUInt32LE(at));
  const shoff = word(is64 ? 0x28 : 0x20);
  const shentsize = data.readUInt16LE(is64 ? 0x3a : 0x2e);
  let shnum = data.readUInt16LE(is64 ? 0x3c : 0x30);
  let shstrndx = data.readUInt16LE(is64 ? 0x3e : 0x32);
  if (shoff === 0) throw new Error('the ELF file has no section table');
  const header = (i: number) => {
    const at = shoff + i * shentsize;
    if (at + shentsize > data.length)
      throw new Error('the ELF section table runs past the end of the file (truncated?)');
    return {
      name: data.readUInt32LE(at),
      type: data.readUInt32LE(at + 4),
      offset: word(at + (is64 ? 0x18 : 0x10)),
      size: word(at + (is64 ? 0x20 : 0x14)),
      link: data.readUInt32LE(at + (is64 ? 0x28 : 0x18)),
    };
  };
  // More than 0xff00 sections: the real count and string table index sit in section 0.
  if (shnum === 0) shnum = header(0).size;
  if (shstrndx === 0xffff) shstrndx = header(0).link;
  const headers = Array.from({ length: shnum }, (_, i) => header(i));
  const names = headers[shstrndx];
  if (!names) throw new Error('the ELF file has no section name table');
  return headers.map((h) => ({ ...h, name: cString(data, names.offset + h.name) }));
}

/** What an ELF shared object asks of the system that loads it. */
export interface ElfNeeds {
  /** e_machine by name: x86_64, aarch64, or the number. */
  machine: string;
  /** DT_NEEDED: the libraries the loader must find. */
  needed: string[];
  /** Symbol versions needed (.gnu.version_r), by the library that must define them: GLIBC_2.34 from libc.so.6. */
  versions: { library: string; version: string }[];
  /** Names of the undefined dynamic symbols (.dynsym entries in no section): what the loader must bind. */
  undefinedSymbols?: string[];
}

const MACHINES: Record<number, string> = { 62: 'x86_64', 183: 'aarch64', 3: 'i686' };

/** DT_NEEDED and the needed symbol versions of an ELF file, from its section table. */
export function readElfNeeds(data: Buffer): ElfNeeds {
  if (data.length < 64 || data.readUInt32BE(0) !== 0x7f454c46) throw new Error('not an ELF file');
  const is64 = data[4] === 2;
  const sections = elfSectionTable(data);
  const machineNumber = data.readUInt16LE(18);
  const undefinedSymbols: string[] = [];
  const needs: ElfNeeds = {
    machine: MACHINES[machineNumber] ?? String(machineNumber),
    needed: [],
    versions: [],
    undefinedSymbols,
  };
  const SHT_DYNAMIC = 6;
  const SHT_GNU_VERNEED = 0x6ffffffe;
  const DT_NEEDED = 1;
  const stringsOf = (section: ElfSection) => {
    const table = sections[section.link];
    if (!table) throw new Error(`${section.name} links to no string table`);
    slice(data, table);
    return (offset: number) => cString(data, table.offset + offset);
  };
  for (const dynamic of sections.filter((s) => s.type === SHT_DYNAMIC)) {
    const bytes = slice(data, dynamic);
    const str = stringsOf(dynamic);
    const size = is64 ? 16 : 8;
    for (let at = 0; at + size <= bytes.length; at += size) {
      const tag = is64 ? Number(bytes.readBigInt64LE(at)) : bytes.readInt32LE(at);
      if (tag === 0) break;
      if (tag === DT_NEEDED)
        needs.needed.push(str(is64 ? Number(bytes.readBigUInt64LE(at + 8)) : bytes.readUInt32LE(at + 4)));
    }
  }
  // Elf_Verneed and Elf_Vernaux are 16 bytes in both classes; each links to the next by offset.
  for (const verneed of sections.filter((s) => s.type === SHT_GNU_VERNEED)) {
    const bytes = slice(data, verneed);
    const str = stringsOf(verneed);
    let at = 0;
    for (let n = 0; n < 4096 && at + 16 <= bytes.length; n++) {
      const library = str(bytes.readUInt32LE(at + 4));
      let aux = at + bytes.readUInt32LE(at + 8);
      for (let i = 0; i < bytes.readUInt16LE(at + 2) && aux + 16 <= bytes.length; i++) {
        needs.versions.push({ library, version: str(bytes.readUInt32LE(aux + 8)) });
        const next = bytes.readUInt32LE(aux + 12);
        if (next === 0) break;
        aux += next;
      }
      const next = bytes.readUInt32LE(at + 12);
      if (next === 0) break;
      at += next;
    }
  }
  // Elf64_Sym is 24 bytes (st_shndx at 6), Elf32_Sym 16 (st_shndx at 14); entry 0 is the null symbol.
  const SHT_DYNSYM = 11;
  for (const dynsym of sections.filter((s) => s.type === SHT_DYNSYM)) {
    const bytes = slice(data, dynsym);
    const str = stringsOf(dynsym);
    const size = is64 ? 24 : 16;
    for (let at = size; at + size <= bytes.length; at += size) {
      const name = bytes.readUInt32LE(at);
      if (name !== 0 && bytes.readUInt16LE(at + (is64 ? 6 : 14)) === 0) undefinedSymbols.push(str(name));
    }
  }
  return needs;
}

/** What a PE image imports: the DLLs it names, and the functions it imports by name (not by ordinal). */
export interface PeImports {
  needed: string[];
  functions: string[];
}

/** The import directory of a PE32 or PE32+ image (a .pyd or .dll). */
export function readPeImports(data: Buffer): PeImports {
  const pe = data.readUInt32LE(0x3c);
  if (pe + 24 > data.length || data.toString('latin1', pe, pe + 4) !== 'PE\0\0')
    throw new Error('an MZ file without a PE header');
  const coff = pe + 4;
  const sections = coffSections(data, coff);
  const optional = coff + 20;
  const plus = data.readUInt16LE(optional) === 0x20b;
  const imports: PeImports = { needed: [], functions: [] };
  // Data directory 1 is the import table.
  if (data.readUInt32LE(optional + (plus ? 108 : 92)) < 2) return imports;
  const tableRva = data.readUInt32LE(optional + (plus ? 112 : 96) + 8);
  if (tableRva === 0) return imports;
  const offsetOf = (rva: number): number => {
    const home = sections.find((s) => s.rva !== undefined && rva >= s.rva && rva < s.rva + s.size);
    if (!home) throw new Error(`an import points outside every section (RVA 0x${rva.toString(16)})`);
    return home.offset + rva - home.rva!;
  };
  const thunk = plus ? 8 : 4;
  // IMAGE_IMPORT_DESCRIPTOR: 20 bytes, a zeroed one ends the table.
  for (let at = offsetOf(tableRva), n = 0; at + 20 <= data.length && n < 4096; at += 20, n++) {
    const lookup = data.readUInt32LE(at);
    const name = data.readUInt32LE(at + 12);
    if (name === 0) break;
    imports.needed.push(cString(data, offsetOf(name)));
    const first = lookup || data.readUInt32LE(at + 16);
    for (let t = offsetOf(first), m = 0; t + thunk <= data.length && m < 65536; t += thunk, m++) {
      const entry = plus ? data.readBigUInt64LE(t) : BigInt(data.readUInt32LE(t));
      if (entry === 0n) break;
      const byOrdinal = entry >> BigInt(thunk * 8 - 1) === 1n;
      // IMAGE_IMPORT_BY_NAME: a 2-byte hint, then the name.
      if (!byOrdinal) imports.functions.push(cString(data, offsetOf(Number(entry & 0x7fffffffn)) + 2));
    }
  }
  return imports;
}

const COFF_MACHINES = new Set([0x8664, 0xaa64, 0x14c]);

/** PE images keep 8-character section names: ".nv_fatbin" is ".nv_fatb" there. */
const isFatbinSection = (s: Section): boolean => s.name.startsWith('.nv_fatb');

function peFatbins(data: Buffer): FatbinSections {
  const pe = data.readUInt32LE(0x3c);
  if (pe + 24 > data.length || data.toString('latin1', pe, pe + 4) !== 'PE\0\0')
    throw new Error('an MZ file without a PE header');
  const coff = pe + 4;
  const sections = coffSections(data, coff);
  const fatbins = sections.filter(isFatbinSection);
  if (fatbins.length > 0) return { format: 'pe', sections: fatbins.map((s) => slice(data, s)) };
  // A linker that merged .nv_fatbin elsewhere still leaves the registration wrappers.
  const optional = coff + 20;
  const imageBase =
    data.readUInt16LE(optional) === 0x20b
      ? data.readBigUInt64LE(optional + 24)
      : BigInt(data.readUInt32LE(optional + 28));
  return { format: 'pe', sections: wrappedContainers(data, sections, imageBase) };
}

/** COFF section headers after the file header at `coff` (a PE image's or an object file's). */
function coffSections(data: Buffer, coff: number): Section[] {
  const count = data.readUInt16LE(coff + 2);
  const symbols = data.readUInt32LE(coff + 8);
  const symbolCount = data.readUInt32LE(coff + 12);
  const table = coff + 20 + data.readUInt16LE(coff + 16);
  const strings = symbols + symbolCount * 18;
  if (table + count * 40 > data.length)
    throw new Error('the PE section table runs past the end of the file (truncated?)');
  return Array.from({ length: count }, (_, i) => {
    const at = table + i * 40;
    let name = cString(data, at, 8);
    // Object files name long sections "/<offset>" into the string table after the symbols.
    if (/^\/\d+$/.test(name) && symbols > 0) name = cString(data, strings + Number(name.slice(1)));
    const virtualSize = data.readUInt32LE(at + 8);
    const rawSize = data.readUInt32LE(at + 16);
    return {
      name,
      rva: data.readUInt32LE(at + 12),
      offset: data.readUInt32LE(at + 20),
      // Raw data is padded to the file alignment; the virtual size is the real one (0 in objects).
      size: virtualSize > 0 ? Math.min(virtualSize, rawSize) : rawSize,
    };
  });
}

const WRAPPER_MAGIC = 0x466243b1;

/**
 * `.nvFatBinSegment` (`.nvFatBi` in a PE image) holds one 24-byte wrapper per translation
 * unit: magic, version, and the address of its fatbin container.
 */
function wrappedContainers(data: Buffer, sections: Section[], imageBase: bigint): Buffer[] {
  const containers: Buffer[] = [];
  for (const segment of sections.filter((s) => s.name.startsWith('.nvFatBi'))) {
    const bytes = slice(data, segment);
    for (let at = 0; at + 24 <= bytes.length; at += 8) {
      if (bytes.readUInt32LE(at) !== WRAPPER_MAGIC) continue;
      const rva = Number(bytes.readBigUInt64LE(at + 8) - imageBase);
      const home = sections.find((s) => s.rva !== undefined && rva >= s.rva && rva < s.rva + s.size);
      if (!home) throw new Error(`a fatbin wrapper points outside every section (RVA 0x${rva.toString(16)})`);
      const offset = home.offset + rva - home.rva!;
      if (offset + 16 > data.length || data.readUInt32LE(offset) !== FATBIN_MAGIC) {
        throw new Error(`a fatbin wrapper points at RVA 0x${rva.toString(16)}, where there is no fatbin`);
      }
      // readContainer checks the size against what is there.
      containers.push(
        data.subarray(offset, offset + data.readUInt16LE(offset + 6) + Number(data.readBigUInt64LE(offset + 8))),
      );
      at += 16;
    }
  }
  return containers;
}

function cString(data: Buffer, offset: number, max = 4096): string {
  const end = Math.min(data.length, offset + max);
  const nul = data.indexOf(0, offset);
  return data.toString('latin1', offset, nul >= 0 && nul < end ? nul : end);
}
