// The quick start's main job: the whole pipeline (setup-cuda, setup-msvc, build, verify, publish)
// on the small CUDA package in test/fixtures/cudapkg, with real nvcc and no GPU, publishing to a
// GitHub release API on loopback. The release's files and notes are then copied to .demo/release/.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { findPython } from '../src/python/interpreter';
import { offlinePipEnv } from '../test/helpers/offline-pip';
import { runToLoopbackRelease } from './loopback-release';

const root = path.resolve(import.meta.dirname, '..');
const work = path.join(root, '.demo');
const tag = 'v0.1.0-demo';

async function anyPython(): Promise<string> {
  for (const version of ['3.12', '3.11', '3.13', '3.10']) {
    const found = await findPython(version).catch(() => undefined);
    if (found) return found.executable;
  }
  throw new Error('the demo needs Python 3.10-3.13 (with venv) on this machine');
}

await rm(work, { recursive: true, force: true });
await mkdir(path.join(work, 'tmp'), { recursive: true });
Object.assign(process.env, {
  RUNNER_TEMP: path.join(work, 'tmp'),
  RUNNER_TOOL_CACHE: process.env.RUNNER_TOOL_CACHE ?? path.join(work, 'tool-cache'),
  // Where there is no package index (CI), setuptools and wheel come from the local wheels.
  PIP_FIND_LINKS: [process.env.PIP_FIND_LINKS, offlinePipEnv().PIP_FIND_LINKS].filter(Boolean).join(' '),
});
// The step outputs (name=value on stdout) are kept for the lines at the end.
const outputs: Record<string, string> = {};
const io = {
  out: (text: string) => {
    for (const line of text.split('\n').filter(Boolean)) {
      const eq = line.indexOf('=');
      outputs[line.slice(0, eq)] = line.slice(eq + 1);
    }
  },
  err: (text: string) => void process.stderr.write(text),
  env: process.env,
};
const typed = '8.0 9.0 12.0';
const { code, release } = await runToLoopbackRelease(
  {
    source: path.join(root, 'test/fixtures/cudapkg'),
    package: 'generic',
    // On this machine: the quick start needs no docker or podman.
    container: 'none',
    'cuda-version': '13.0',
    python: await anyPython(),
    torch: 'none',
    // Spaces on purpose: the fixture's setup.py, like many, splits only on ";".
    'arch-list': typed,
    'compile-cache': path.join(work, 'ccache'),
    'output-dir': path.join(work, 'wheelhouse'),
    tag,
  },
  'sagewheels/cudapkg',
  io,
);
console.error(
  [
    '',
    `arch-list as typed:                ${typed}`,
    `TORCH_CUDA_ARCH_LIST setup.py got: ${outputs['arch-list'] ?? '(build did not finish)'}`,
    `GPUs the wheel runs on (verify):   ${outputs.archs ?? '(verify did not finish)'}`,
    '(the fixture\'s setup.py splits on ";" only, as many do: typed as is, it would have built sm_80 alone)',
  ].join('\n'),
);
if (release) {
  const dir = path.join(work, 'release');
  await mkdir(dir, { recursive: true });
  for (const asset of release.assets) await writeFile(path.join(dir, asset.name), asset.data);
  // The release notes, with the wheel table, as the release page shows them.
  await writeFile(path.join(dir, 'RELEASE_NOTES.md'), `# ${release.name || tag}\n\n${release.body}\n`);
  console.error(
    `\nRelease ${tag}: ${release.assets.length} files and its notes, copied to ${path.relative(root, dir)}/`,
  );
  for (const asset of release.assets) console.error(`  ${asset.name} (${asset.size} bytes)`);
  console.error('  RELEASE_NOTES.md');
}
process.exitCode = code;
