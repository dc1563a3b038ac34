import { readFile, writeFile } from 'node:fs/promises';
import { atLeast } from '../core/version';

/** torch 2.13 moved its headers to C++20 (pytorch/pytorch RELEASE.md): an extension must compile as C++20 too. */
export const torchNeedsCxx20 = (torchVersion: string): boolean => atLeast(torchVersion.split('+')[0]!, '2.13');

// A quoted flag in setup.py pinning an older standard: '-std=c++17', "--std=c++14", '/std:c++17' (MSVC).
const OLD_STANDARD = /(["'])(--?std=c\+\+|\/std:c\+\+)(11|14|17)\1/g;

/** setup.py's text with every pinned C++ standard older than 20 raised to 20, and how many it raised. */
export function raiseToCxx20(setupPy: string): { text: string; count: number } {
  let count = 0;
  const text = setupPy.replace(OLD_STANDARD, (_, quote: string, flag: string) => {
    count++;
    return `${quote}${flag}20${quote}`;
  });
  return { text, count };
}

/**
 * Rewrites the standard a setup.py pins to C++20, in sagewheels' own copy of the source (never the
 * user's folder), for packages whose profile says their code builds as C++20.
 */
export async function raiseSetupPyToCxx20(setupPyPath: string): Promise<number> {
  const { text, count } = raiseToCxx20(await readFile(setupPyPath, 'utf8'));
  if (count > 0) await writeFile(setupPyPath, text);
  return count;
}
