import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { inject } from 'vitest';

/**
 * Something costly that test files share within one run (a fixture wheel built by nvcc, a venv
 * with setuptools): made by the first file that asks for it, in a folder of the run's shared
 * folder (test/helpers/global-setup.ts), while the others wait; keyed by everything it is made
 * from. `make` returns a path inside the folder it is given. Files only read what it made.
 */
export async function shared(key: string, make: (dir: string) => Promise<string>): Promise<string> {
  const dir = path.join(inject('sharedDir'), createHash('sha256').update(key).digest('hex').slice(0, 16));
  const done = path.join(dir, 'made.json');
  const failed = path.join(dir, 'failed.txt');
  const mine = await mkdir(dir).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'EEXIST') return false;
      throw error;
    },
  );
  if (mine) {
    try {
      const made = await make(path.join(dir, 'work'));
      await writeFile(`${done}.tmp`, JSON.stringify({ key, made }));
      await rename(`${done}.tmp`, done);
      return made;
    } catch (error) {
      await writeFile(failed, String(error instanceof Error ? error.message : error));
      throw error;
    }
  }
  // Another test file is making it.
  for (;;) {
    const made = await readFile(done, 'utf8').catch(() => undefined);
    if (made) return (JSON.parse(made) as { made: string }).made;
    const error = await readFile(failed, 'utf8').catch(() => undefined);
    if (error !== undefined) throw new Error(`shared ${key}: the test file that made it failed: ${error}`);
    await sleep(200);
  }
}

/** The contents of a folder (file names and bytes, recursively, minus build output), as a key. */
export async function folderKey(
  dir: string,
  skip = /(^|[\\/])(build|[^\\/]+\.egg-info|__pycache__)$/,
): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (rel: string): Promise<void> => {
    for (const entry of (await readdir(path.join(dir, rel), { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const child = path.join(rel, entry.name);
      if (skip.test(child)) continue;
      if (entry.isDirectory()) await walk(child);
      else
        hash
          .update(child)
          .update('\0')
          .update(await readFile(path.join(dir, child)));
    }
  };
  await walk('');
  return hash.digest('hex');
}
