import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { inputError } from '../core/errors';
import { compareVersions } from '../core/version';

/** What one wheel of a source can serve beyond the Python and torch it was built with. */
export interface SourceAbi {
  /** Built against CPython's limited API: a `cp3X-abi3` wheel for every CPython from `python` on. */
  limited?: { python: string };
  /** Built against PyTorch's stable ABI only: one wheel for every torch from `torch` on. */
  stable?: { torch: string; evidence: string };
}

export type AbiChoice = 'auto' | 'abi3' | 'stable' | 'none';
export const ABI_CHOICES: readonly AbiChoice[] = ['auto', 'abi3', 'stable', 'none'];

/**
 * The first torch whose headers have each stable-ABI marker a source may use, newest first;
 * the source's floor is the newest marker it uses. The stable library appeared in 2.9, the
 * boxing helpers (TORCH_BOX) and tensor_struct.h in 2.10.
 */
const STABLE_MARKERS: readonly (readonly [RegExp, string])[] = [
  [/\bTORCH_BOX\b/, '2.10'],
  [/torch\/csrc\/stable\/tensor_struct\.h/, '2.10'],
  [/\bSTABLE_TORCH_LIBRARY\w*/, '2.9'],
  [/torch\/csrc\/stable\//, '2.9'],
  [/torch\/headeronly\//, '2.9'],
];

const SOURCE_FILE = /\.(?:py|toml|cfg|c|cc|cpp|cxx|cu|cuh|h|hpp|hxx)$/;
const SKIPPED_DIRS = new Set(['.git', 'build', 'dist', 'node_modules', '__pycache__', 'cutlass', 'third_party']);
/** Reading stops here: a source's own files, not a vendored dependency's, tell its ABI. */
const MAX_FILES = 2000;

/** The ABI a source tree builds against, read from its setup files and C++/CUDA sources as text. */
export async function detectAbi(sourceDir: string): Promise<SourceAbi> {
  return abiOfTexts(await readSourceTexts(sourceDir));
}

export function abiOfTexts(texts: ReadonlyMap<string, string>): SourceAbi {
  const abi: SourceAbi = {};
  const python = limitedApiFloor(texts);
  if (python) abi.limited = { python };
  const stable = stableFloor(texts);
  if (stable) abi.stable = stable;
  return abi;
}

/** `Py_LIMITED_API=0x030A0000` or bdist_wheel's `py_limited_api = "cp310"`: the oldest CPython. */
function limitedApiFloor(texts: ReadonlyMap<string, string>): string | undefined {
  const floors: string[] = [];
  for (const text of texts.values()) {
    // -DPy_LIMITED_API=0x..., #define Py_LIMITED_API 0x..., define_macros=[("Py_LIMITED_API", "0x...")]
    for (const match of text.matchAll(/Py_LIMITED_API["']?(?:\s*[=,]\s*|\s+)["']?(0x[0-9A-Fa-f]{8})/g)) {
      const hex = Number.parseInt(match[1]!, 16);
      floors.push(`${hex >>> 24}.${(hex >>> 16) & 0xff}`);
    }
    for (const match of text.matchAll(/py_limited_api["']?\s*[:=]\s*["']cp(\d)(\d+)["']/g)) {
      floors.push(`${match[1]}.${match[2]}`);
    }
  }
  return floors.sort(compareVersions).at(-1);
}

function stableFloor(texts: ReadonlyMap<string, string>): SourceAbi['stable'] {
  const stableOnly = [...texts.values()].some((text) => /TORCH_STABLE_ONLY/.test(text));
  if (!stableOnly) return undefined;
  let best: { torch: string; evidence: string } = { torch: '2.9', evidence: 'TORCH_STABLE_ONLY' };
  for (const [file, text] of texts) {
    for (const [marker, torch] of STABLE_MARKERS) {
      const match = marker.exec(text);
      if (match && compareVersions(torch, best.torch) > 0) best = { torch, evidence: `${match[0]} in ${file}` };
    }
  }
  return best;
}

async function readSourceTexts(root: string): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (texts.size >= MAX_FILES) return;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && !SKIPPED_DIRS.has(entry.name) && !entry.name.startsWith('.')) await walk(full);
      else if (entry.isFile() && SOURCE_FILE.test(entry.name)) {
        texts.set(path.relative(root, full).split(path.sep).join('/'), await readFile(full, 'utf8'));
      }
    }
  };
  await walk(root);
  return texts;
}

/** What the build promises: the detected ABI for `auto`, a narrower one by hand, never more than the source has. */
export function chooseAbi(choice: AbiChoice, detected: SourceAbi): SourceAbi {
  if (choice === 'auto') return detected;
  if (choice === 'none') return {};
  if (choice === 'abi3') {
    if (!detected.limited) {
      throw inputError(
        'abi',
        'abi3',
        "The source does not build against Python's limited API (no Py_LIMITED_API and py_limited_api in its setup files): use auto or none",
      );
    }
    return { limited: detected.limited };
  }
  if (!detected.stable) {
    throw inputError(
      'abi',
      'stable',
      "The source does not build against PyTorch's stable ABI only (no -DTORCH_STABLE_ONLY in its setup files): use auto or none",
    );
  }
  return detected;
}

/** "abi3 from Python 3.10, torch stable ABI from 2.10 (TORCH_BOX in csrc/x.cu)", or "none". */
export function describeAbi(abi: SourceAbi): string {
  const parts = [
    ...(abi.limited ? [`abi3 from Python ${abi.limited.python}`] : []),
    ...(abi.stable ? [`torch stable ABI from ${abi.stable.torch} (${abi.stable.evidence})`] : []),
  ];
  return parts.length > 0 ? parts.join(', ') : 'none (one wheel per Python and torch)';
}
