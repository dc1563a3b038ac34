import * as zlib from 'node:zlib';
import type { GpuCode } from '../arch/arch';
import { lz4BlockDecode } from './lz4';

/*
 * The fatbin container nvcc embeds in every object and shared library. NVIDIA publishes no
 * specification; the layout below was read from nvcc 13.0's own output (see test/verify):
 *   container: magic 0xBA55ED50 (u32), version (u16), header size (u16), entries size (u64)
 *   entry:     kind (u16: 1 PTX, 2 ELF cubin), header size (u32 at 4), payload size (u64 at 8),
 *              compressed size (u32 at 16), arch number (u32 at 28: 90 = sm_90),
 *              flags (u64 at 40), uncompressed size (u64 at 56)
 */
export const FATBIN_MAGIC = 0xba55ed50;

const KIND_PTX = 1;
const KIND_CUBIN = 2;
const FLAG_LZ4 = 0x2000n;
const FLAG_ZSTD = 0x8000n;
const FLAG_ARCH_SPECIFIC = 0x100000n; // sm_90a: that GPU only
const FLAG_FAMILY = 0x200000n; // sm_120f: that GPU family

const EM_CUDA = 190;
/** Pre-CUDA-13 cubins (ELF ABI version 7) mark the `a` variant in e_flags too. */
const EF_CUDA_ACCELERATORS_V1 = 0x800;

/** No nvcc entry comes near this; a bigger claim is a broken or hostile header. */
const MAX_ENTRY_BYTES = 512 * 2 ** 20;

export type Compression = 'none' | 'lz4' | 'zstd';

export interface FatbinEntry extends GpuCode {
  compression: Compression;
}

/** "sm_90a" for SASS, "compute_120" for PTX. */
export function codeName(code: GpuCode): string {
  return `${code.kind === 'sass' ? 'sm' : 'compute'}_${code.major}${code.minor}${code.variant}`;
}

/**
 * Every entry of every container in a fatbin section (a linked library holds one container
 * per translation unit, each 8-byte aligned, zero padding between). Compressed entries are
 * decompressed so that each is proven to be a cubin or PTX of the arch its header names.
 */
export function readFatbinSection(section: Buffer): FatbinEntry[] {
  const entries: FatbinEntry[] = [];
  let offset = 0;
  while (offset < section.length) {
    if (section.length - offset < 16 || section.readUInt32LE(offset) !== FATBIN_MAGIC) {
      // Padding between containers is zeros; anything else is not a fatbin we can read.
      if (section[offset] === 0) {
        offset++;
        continue;
      }
      throw new Error(`no fatbin container at byte ${offset} (magic ${hex(section, offset)})`);
    }
    offset = readContainer(section, offset, entries);
  }
  return entries;
}

/** One container at `offset`; returns where it ends. */
function readContainer(data: Buffer, offset: number, entries: FatbinEntry[]): number {
  const headerSize = data.readUInt16LE(offset + 6);
  const size = Number(data.readBigUInt64LE(offset + 8));
  const start = offset + headerSize;
  const end = start + size;
  if (headerSize < 16 || end > data.length) {
    throw new Error(`fatbin container at byte ${offset} claims ${size} bytes; ${data.length - start} are there`);
  }
  let p = start;
  while (p < end) {
    if (end - p < 64) throw new Error(`truncated fatbin entry header at byte ${p}`);
    const kind = data.readUInt16LE(p);
    const entryHeader = data.readUInt32LE(p + 4);
    const payloadSize = Number(data.readBigUInt64LE(p + 8));
    const payloadStart = p + entryHeader;
    if (entryHeader < 64 || payloadStart + payloadSize > end) {
      throw new Error(`fatbin entry at byte ${p} runs past its container`);
    }
    if (kind === KIND_PTX || kind === KIND_CUBIN) {
      entries.push(readEntry(data, p, data.subarray(payloadStart, payloadStart + payloadSize)));
    }
    p = payloadStart + payloadSize;
  }
  return end;
}

function readEntry(data: Buffer, p: number, payload: Buffer): FatbinEntry {
  const kind = data.readUInt16LE(p) === KIND_PTX ? 'ptx' : 'sass';
  const arch = data.readUInt32LE(p + 28);
  const flags = data.readBigUInt64LE(p + 40);
  const compression: Compression = flags & FLAG_ZSTD ? 'zstd' : flags & FLAG_LZ4 ? 'lz4' : 'none';
  let variant: GpuCode['variant'] = flags & FLAG_ARCH_SPECIFIC ? 'a' : flags & FLAG_FAMILY ? 'f' : '';
  const code = { kind, major: Math.floor(arch / 10), minor: arch % 10 } as const;
  const where = `${codeName({ ...code, variant })} at byte ${p}`;

  let body = payload;
  if (compression !== 'none') {
    const compressed = payload.subarray(0, data.readUInt32LE(p + 16));
    const size = Number(data.readBigUInt64LE(p + 56));
    // The header's size is what gets allocated: a hostile one must not decide memory.
    if (size > MAX_ENTRY_BYTES)
      throw new Error(`${where}: claims ${size} bytes uncompressed, more than ${MAX_ENTRY_BYTES}`);
    try {
      body =
        compression === 'zstd'
          ? zlib.zstdDecompressSync(compressed, { maxOutputLength: Math.max(size, 1) })
          : lz4BlockDecode(compressed, size);
    } catch (error) {
      throw new Error(`${where}: ${compression} data does not decompress (${(error as Error).message})`, {
        cause: error,
      });
    }
    if (body.length !== size) throw new Error(`${where}: decompressed to ${body.length} bytes, header says ${size}`);
  }

  if (kind === 'sass') {
    if (body.length < 52 || body.readUInt32BE(0) !== 0x7f454c46 || body.readUInt16LE(18) !== EM_CUDA) {
      throw new Error(`${where}: the SASS entry is not a CUDA ELF (cubin)`);
    }
    const abiVersion = body[8];
    if (abiVersion === 7 && body.readUInt32LE(48) & EF_CUDA_ACCELERATORS_V1) variant = 'a';
  } else {
    // PTX names its own target: `.target sm_90a`.
    const target = /^\s*\.target\s+sm_(\d+)([af]?)\b/m.exec(body.subarray(0, 64 * 1024).toString('latin1'));
    if (!target || Number(target[1]) !== arch) {
      throw new Error(`${where}: the PTX targets ${target ? `sm_${target[1]}` : 'nothing'}, not sm_${arch}`);
    }
    variant = (target[2] ?? '') as GpuCode['variant'];
  }
  return { ...code, variant, compression };
}

const hex = (data: Buffer, offset: number): string => `0x${data.subarray(offset, offset + 4).toString('hex')}`;
