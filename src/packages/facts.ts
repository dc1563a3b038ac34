import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { SourceFacts } from './profile';

const readText = (file: string): Promise<string | undefined> => readFile(file, 'utf8').catch(() => undefined);

/** The value of `key = "..."` in the [project] table of a pyproject.toml. */
function pyprojectField(text: string, key: string): string | undefined {
  const table = /^\[project\]\s*$([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(text)?.[1];
  return table ? new RegExp(`^${key}\\s*=\\s*["']([^"']+)["']`, 'm').exec(table)?.[1] : undefined;
}

/**
 * The `key=` argument of setup() in a setup.py: a string literal, or a name bound to one at
 * module level (flash-attn: name=PACKAGE_NAME, PACKAGE_NAME = "flash_attn").
 */
function setupArgument(text: string, key: string): string | undefined {
  const call = text.lastIndexOf('setup(');
  if (call < 0) return undefined;
  const match = new RegExp(`\\b${key}\\s*=\\s*(?:["']([^"']+)["']|([A-Za-z_]\\w*))`).exec(text.slice(call));
  if (!match) return undefined;
  if (match[1]) return match[1];
  return new RegExp(`^${match[2]}\\s*=\\s*["']([^"']+)["']`, 'm').exec(text)?.[1];
}

/** What setup.py and pyproject.toml of the package folder say of it. */
export async function readSourceFacts(dir: string): Promise<SourceFacts> {
  const setupPy = await readText(path.join(dir, 'setup.py'));
  const pyproject = await readText(path.join(dir, 'pyproject.toml'));
  const from = (key: string) =>
    (pyproject && pyprojectField(pyproject, key)) ?? (setupPy && setupArgument(setupPy, key)) ?? undefined;
  return { dir, setupPy, pyproject, project: from('name'), version: from('version') };
}

/** PEP 503 normalized: "Flash_Attn" -> "flash-attn". */
export const normalizedProject = (name: string | undefined): string | undefined =>
  name?.toLowerCase().replace(/[-_.]+/g, '-');
