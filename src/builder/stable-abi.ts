import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError } from '../core/errors';

// Where torch declares its C shim (the stable ABI's calls into libtorch), by release.
const SHIMS = ['torch/csrc/inductor/aoti_torch/c/shim.h', 'torch/csrc/stable/c/shim.h'];
const NVCC_SOURCES = /\.(cu|cuh)$/;
const HOST_SOURCES = /\.(cpp|cc|cxx)$/;
const SKIP = new Set(['.git', 'build', 'dist', 'cutlass', 'third_party', 'node_modules']);

/** The functions torch's C shim declares only between `#ifdef USE_CUDA` and its `#endif`. */
export function cudaOnlyShimFunctions(header: string): string[] {
  const names = new Set<string>();
  let depth = 0;
  let inCuda = 0;
  for (const line of header.split('\n')) {
    const directive = /^\s*#\s*(\w+)(.*)$/.exec(line);
    if (directive) {
      const [, word, rest] = directive;
      if (word === 'if' || word === 'ifdef' || word === 'ifndef') {
        depth++;
        const condition = rest!.trim();
        if (!inCuda && ((word === 'ifdef' && condition === 'USE_CUDA') || condition === 'defined(USE_CUDA)'))
          inCuda = depth;
      } else if (word === 'endif') {
        if (inCuda === depth) inCuda = 0;
        depth--;
      } else if (word === 'else' && inCuda === depth) {
        inCuda = -depth;
      }
      continue;
    }
    if (inCuda > 0) for (const m of line.matchAll(/\b(aoti_torch_\w+)\s*\(/g)) names.add(m[1]!);
  }
  return [...names].sort();
}

async function* sourceFiles(dir: string, root = dir): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (SKIP.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(full, root);
    else if (NVCC_SOURCES.test(entry.name) || HOST_SOURCES.test(entry.name) || /\.(h|hpp)$/.test(entry.name))
      yield full;
  }
}

/**
 * Whether nvcc needs -DUSE_CUDA on this platform: the source calls a function of torch's C shim
 * (stable ABI) that the shim declares only under USE_CUDA, which PyTorch defines for its own
 * build, never for extensions (woct0rdho's abi3_stable setup.py defines it on Windows only).
 * Returns why, or undefined. A host-compiled file (.cpp) calling it cannot be helped from outside: refused.
 */
export async function useCudaReason(sourceDir: string, torchInclude: string): Promise<string | undefined> {
  const guardedBy = new Map<string, string>();
  for (const shim of SHIMS) {
    const header = await readFile(path.join(torchInclude, shim), 'utf8').catch(() => '');
    for (const name of cudaOnlyShimFunctions(header)) guardedBy.set(name, shim);
  }
  const guarded = [...guardedBy.keys()];
  if (guarded.length === 0) return undefined;
  const pattern = new RegExp(`\\b(${guarded.join('|')})\\s*\\(`);
  let reason: string | undefined;
  for await (const file of sourceFiles(sourceDir)) {
    const text = await readFile(file, 'utf8').catch(() => '');
    const match = pattern.exec(text);
    if (!match) continue;
    const relative = path.relative(sourceDir, file);
    if (HOST_SOURCES.test(file)) {
      throw new ConfigurationError(
        `source: ${relative} calls ${match[1]}, which torch's ${guardedBy.get(match[1]!)} declares only when USE_CUDA is defined, ` +
          'and it is compiled by the host compiler, whose flags sagewheels cannot add to. Define USE_CUDA in the package\'s "cxx" flags (setup.py)',
      );
    }
    reason ??= `${relative} calls ${match[1]}, which torch's ${guardedBy.get(match[1]!)} declares only when USE_CUDA is defined`;
  }
  return reason;
}
