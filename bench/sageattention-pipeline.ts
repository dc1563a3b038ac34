// The whole pipeline on real SageAttention, on the GPU machine (no network): setup-cuda (the
// toolkit already there), build (torch preinstalled, the compile cache of the build benchmark),
// verify (with the GPU runtime test) and publish to a GitHub release API on loopback.
// Bundled and run by bench/sageattention-gpu.sh; writes pipeline.json to $OUT.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runCli } from '../src/cli/main';
import { PIPELINE, STEPS } from '../src/registry';
import { FakeGitHub } from '../test/fakes/github';

const [source, archList, python, cache, out] = process.argv.slice(2) as [string, string, string, string, string];
const server = await new FakeGitHub('ghs_gpu_pipeline_token').start();
const tag = 'v2.2.0-gpu';
Object.assign(process.env, { GITHUB_REPOSITORY: 'sagewheels/sageattention', GITHUB_TOKEN: server.token });
const outputs: Record<string, string> = {};
const started = Date.now();
const code = await runCli(
  [
    'run',
    ...['--source', source, '--package', 'sageattention', '--cuda-version', '13.0', '--method', 'existing'],
    ...['--python', python, '--torch', 'preinstalled', '--arch-list', archList, '--compile-cache', cache],
    ...['--output-dir', path.join(out, 'wheels-pipeline'), '--runtime-test', 'always', '--tag', tag, '--github-api-url', server.url],
  ],
  [...STEPS, PIPELINE],
  {
    out: (text) => {
      process.stdout.write(text);
      for (const line of text.split('\n').filter(Boolean)) outputs[line.split('=')[0]!] = line.slice(line.indexOf('=') + 1);
    },
    err: (text) => void process.stderr.write(text),
    env: process.env,
  },
);
const seconds = (Date.now() - started) / 1000;
const release = server.releases.find((r) => r.tag_name === tag);
const assets = release?.assets.map((a) => ({ name: a.name, size: a.size })) ?? [];
await writeFile(path.join(out, 'pipeline.json'), JSON.stringify({ exit: code, seconds, outputs, release: assets }, null, 2));
console.error(`\npipeline: exit ${code} in ${seconds.toFixed(1)} s; release ${tag}: ${assets.map((a) => a.name).join(', ')}`);
await server.stop();
process.exitCode = code;
