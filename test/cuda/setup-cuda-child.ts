// setup-cuda in a process of its own, for tests that end it with a signal:
//   node scripts/run-ts.mjs test/cuda/setup-cuda-child.ts <mirror-url> <tool cache> <temp dir> <components>
import { setupCuda } from '../../src/cuda/setup';

const [mirrorUrl, toolCache, tempDir, components] = process.argv.slice(2);
const print = (line: string) => console.log(line);
// run-ts starts this node as a child of its own: the test waits for this process, not run-ts.
print(`pid ${process.pid}`);
const result = await setupCuda(
  {
    cudaVersion: '13.0.2',
    method: 'redist',
    components: components!.split(','),
    mirrorUrl: mirrorUrl!,
    toolCache,
    tempDir: tempDir!,
    platform: 'linux-x86_64',
  },
  { log: { info: print, debug: () => undefined, notice: print, warning: print, group: (_t, body) => body() } },
);
console.log(`installed ${result.root}`);
