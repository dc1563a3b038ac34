/**
 * An LZ4 block (no frame): the format nvcc's fatbinary writes for compressed entries when
 * it does not use zstd (CUDA 11-12, and `-compress-mode speed` in 13). Each sequence is a
 * token (literal length, match length), the literals, a 16-bit back offset and the match.
 */
export function lz4BlockDecode(input: Uint8Array, outputSize: number): Buffer {
  const out = Buffer.alloc(outputSize);
  let ip = 0;
  let op = 0;
  const fail = (why: string): never => {
    throw new Error(`corrupt LZ4 block at input byte ${ip}: ${why}`);
  };
  const length = (base: number): number => {
    let n = base;
    if (base === 15) {
      let byte: number;
      do {
        if (ip >= input.length) fail('length runs past the end');
        byte = input[ip++]!;
        n += byte;
      } while (byte === 255);
    }
    return n;
  };
  while (ip < input.length) {
    const token = input[ip++]!;
    const literals = length(token >> 4);
    if (ip + literals > input.length || op + literals > outputSize) fail('literals run past the end');
    out.set(input.subarray(ip, ip + literals), op);
    ip += literals;
    op += literals;
    if (ip >= input.length) break; // the last sequence has literals only
    if (ip + 2 > input.length) fail('offset runs past the end');
    const offset = input[ip]! | (input[ip + 1]! << 8);
    ip += 2;
    if (offset === 0 || offset > op) fail(`offset ${offset} points before the start`);
    const match = length(token & 15) + 4;
    if (op + match > outputSize) fail('match runs past the declared size');
    // Byte by byte: a match may overlap the bytes it is producing.
    for (let i = 0; i < match; i++, op++) out[op] = out[op - offset]!;
  }
  if (op !== outputSize) fail(`decoded ${op} bytes, the header says ${outputSize}`);
  return out;
}
