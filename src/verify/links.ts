import type { LinkNeeds } from '../abi/symbols';

const SHT_DYNAMIC = 6;
const SHT_DYNSYM = 11;
const DT_NEEDED = 1;

/**
 * What an ELF shared object asks of the loader: its DT_NEEDED libraries and the names of its
 * undefined dynamic symbols (.dynsym entries with no section), little-endian ELF32 and ELF64.
 */
export function readElfNeeds(data: Buffer): LinkNeeds {
  if (data.length < 0x40 || data.readUInt32BE(0) !== 0x7f454c46) throw new Error('not an ELF file');
  if (data[5] !== 1) throw new Error('big-endian ELF files are not supported');
  const is64 = data[4] === 2;
  const word = (at: number) => (is64 ? Number(data.readBigUInt64LE(at)) : data.readUInt32LE(at));
  const shoff = word(is64 ? 0x28 : 0x20);
  const shentsize = data.readUInt16LE(is64 ? 0x3a : 0x2e);
  const shnum = data.readUInt16LE(is64 ? 0x3c : 0x30);
  const sections = Array.from({ length: shnum }, (_, i) => {
    const at = shoff + i * shentsize;
    if (at + shentsize > data.length) throw new Error('the ELF section table runs past the end of the file');
    return {
      type: data.readUInt32LE(at + 4),
      offset: word(at + (is64 ? 0x18 : 0x10)),
      size: word(at + (is64 ? 0x20 : 0x14)),
      link: data.readUInt32LE(at + (is64 ? 0x28 : 0x18)),
      entsize: word(at + (is64 ? 0x38 : 0x24)),
    };
  });
  const text = (table: number, offset: number): string => {
    const start = sections[table]!.offset + offset;
    const end = data.indexOf(0, start);
    return data.toString('latin1', start, end < 0 ? data.length : end);
  };
  const needed: string[] = [];
  const undefinedNames: string[] = [];
  for (const section of sections) {
    if (section.offset + section.size > data.length) continue;
    if (section.type === SHT_DYNAMIC) {
      const size = is64 ? 16 : 8;
      for (let at = section.offset; at + size <= section.offset + section.size; at += size) {
        const tag = is64 ? Number(data.readBigInt64LE(at)) : data.readInt32LE(at);
        if (tag === 0) break;
        if (tag === DT_NEEDED) needed.push(text(section.link, word(at + (is64 ? 8 : 4))));
      }
    } else if (section.type === SHT_DYNSYM) {
      const size = section.entsize || (is64 ? 24 : 16);
      // Entry 0 is the null symbol.
      for (let at = section.offset + size; at + size <= section.offset + section.size; at += size) {
        const shndx = data.readUInt16LE(at + (is64 ? 6 : 14));
        const name = data.readUInt32LE(at);
        if (shndx === 0 && name !== 0) undefinedNames.push(text(section.link, name));
      }
    }
  }
  return { needed, undefined: undefinedNames };
}
