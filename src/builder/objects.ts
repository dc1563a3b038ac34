import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export interface ObjectTime {
  /** The object's file name. */
  object: string;
  seconds: number;
}

/**
 * The slowest objects of a build, from the .ninja_log files PyTorch's ninja builds leave
 * (tab-separated start and end in ms, then the output). The slowest is the critical path.
 */
export async function slowestObjects(buildDir: string, count = 3): Promise<ObjectTime[]> {
  const entries = await readdir(buildDir, { recursive: true, withFileTypes: true }).catch(() => []);
  const times: ObjectTime[] = [];
  for (const entry of entries.filter((e) => e.isFile() && e.name === '.ninja_log')) {
    const text = await readFile(path.join(entry.parentPath, entry.name), 'utf8');
    for (const line of text.split('\n')) {
      const [start, end, , output] = line.split('\t');
      if (output && /^\d+$/.test(start ?? '') && /^\d+$/.test(end ?? '')) {
        times.push({ object: path.basename(output), seconds: (Number(end) - Number(start)) / 1000 });
      }
    }
  }
  return times.sort((a, b) => b.seconds - a.seconds).slice(0, count);
}
