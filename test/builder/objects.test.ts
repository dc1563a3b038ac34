import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { slowestObjects } from '../../src/builder/objects';
import { runChecked } from '../../src/core/exec';

it('finds the slowest objects in the .ninja_log files a build leaves, slowest first', async () => {
  const build = await mkdtemp(path.join(tmpdir(), 'objects-'));
  // Two extensions, each with its own ninja build folder, as SageAttention's setup.py makes them.
  for (const [ext, edges] of [
    ['ext_a', { 'slow.o': 1.2, 'quick.o': 0.1 }],
    ['ext_b', { 'middle.o': 0.6 }],
  ] as const) {
    const dir = path.join(build, 'temp.linux-x86_64-cpython-312', ext);
    await mkdir(dir, { recursive: true });
    const rules = 'rule work\n  command = sleep $secs && touch $out\n';
    const lines = Object.entries(edges).map(([out, secs]) => `build ${path.join(dir, out)}: work\n  secs = ${secs}`);
    await writeFile(path.join(dir, 'build.ninja'), `${rules}${lines.join('\n')}\n`);
    await runChecked('ninja', ['-j', '4'], { cwd: dir });
  }
  const slowest = await slowestObjects(build, 2);
  expect(slowest.map((o) => o.object)).toEqual(['slow.o', 'middle.o']);
  expect(slowest[0]!.seconds).toBeGreaterThanOrEqual(1.2);
  expect(await slowestObjects(path.join(build, 'none'))).toEqual([]);
});
