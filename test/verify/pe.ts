/**
 * A minimal PE32+ DLL or COFF object around given section contents, laid out as MSVC's
 * link.exe writes them: 8-character section names in images (".nv_fatbin" is ".nv_fatb"),
 * long names as "/<offset>" into the string table in object files.
 */
export interface PeSection {
  name: string;
  data: Buffer;
}

export const IMAGE_BASE = 0x180000000n;
const FILE_ALIGN = 0x200;
const SECTION_ALIGN = 0x1000;
const align = (n: number, to: number) => Math.ceil(n / to) * to;

/** Where each section will land: its RVA (for pointers between sections) and file offset. */
export function peLayout(sections: readonly PeSection[], headerSize = 0x400): { rva: number; offset: number }[] {
  let rva = SECTION_ALIGN;
  let offset = headerSize;
  return sections.map((s) => {
    const at = { rva, offset };
    rva += align(Math.max(s.data.length, 1), SECTION_ALIGN);
    offset += align(s.data.length, FILE_ALIGN);
    return at;
  });
}

export function buildPeDll(sections: readonly PeSection[]): Buffer {
  const layout = peLayout(sections);
  const out = Buffer.alloc(
    layout.length ? layout.at(-1)!.offset + align(sections.at(-1)!.data.length, FILE_ALIGN) : 0x400,
  );
  out.write('MZ', 0, 'latin1');
  out.writeUInt32LE(0x80, 0x3c);
  out.write('PE\0\0', 0x80, 'latin1');
  const coff = 0x84;
  out.writeUInt16LE(0x8664, coff);
  out.writeUInt16LE(sections.length, coff + 2);
  out.writeUInt16LE(240, coff + 16); // PE32+ optional header with 16 data directories
  out.writeUInt16LE(0x2022, coff + 18); // executable image, large addresses, DLL
  const optional = coff + 20;
  out.writeUInt16LE(0x20b, optional);
  out.writeBigUInt64LE(IMAGE_BASE, optional + 24);
  out.writeUInt32LE(SECTION_ALIGN, optional + 32);
  out.writeUInt32LE(FILE_ALIGN, optional + 36);
  out.writeUInt32LE(16, optional + 108);
  const table = optional + 240;
  sections.forEach((s, i) => {
    const at = table + i * 40;
    if (s.name.length > 8) throw new Error(`an image section name has 8 characters at most: ${s.name}`);
    out.write(s.name, at, 'latin1');
    out.writeUInt32LE(s.data.length, at + 8);
    out.writeUInt32LE(layout[i]!.rva, at + 12);
    out.writeUInt32LE(align(s.data.length, FILE_ALIGN), at + 16);
    out.writeUInt32LE(layout[i]!.offset, at + 20);
    out.writeUInt32LE(0x40000040, at + 36); // initialized data, readable
    s.data.copy(out, layout[i]!.offset);
  });
  return out;
}

export function buildCoffObject(sections: readonly PeSection[]): Buffer {
  const table = 20;
  let offset = table + sections.length * 40;
  let strings = Buffer.alloc(4);
  const headers = Buffer.alloc(sections.length * 40);
  const bodies: Buffer[] = [];
  sections.forEach((s, i) => {
    const at = i * 40;
    if (s.name.length > 8) {
      headers.write(`/${strings.length}`, at, 'latin1');
      strings = Buffer.concat([strings, Buffer.from(`${s.name}\0`, 'latin1')]);
    } else {
      headers.write(s.name, at, 'latin1');
    }
    headers.writeUInt32LE(s.data.length, at + 16);
    headers.writeUInt32LE(offset, at + 20);
    bodies.push(s.data);
    offset += s.data.length;
  });
  strings.writeUInt32LE(strings.length, 0);
  const file = Buffer.alloc(20);
  file.writeUInt16LE(0x8664, 0);
  file.writeUInt16LE(sections.length, 2);
  file.writeUInt32LE(offset, 8); // symbol table (empty) then the string table
  return Buffer.concat([file, headers, ...bodies, strings]);
}

/** A `.nvFatBinSegment` wrapper: magic, version, the fatbin's address, no file name. */
export function fatbinWrapper(address: bigint): Buffer {
  const wrapper = Buffer.alloc(24);
  wrapper.writeUInt32LE(0x466243b1, 0);
  wrapper.writeUInt32LE(1, 4);
  wrapper.writeBigUInt64LE(address, 8);
  return wrapper;
}
