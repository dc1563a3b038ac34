// `sagewheels run` with a given set of inputs, publishing to a GitHub release API served on
// loopback (test/fakes/github.ts): the quick start's demo and the GPU machine's pipeline run.
import { type CliIo, runCli } from '../src/cli/main';
import { PIPELINE, STEPS } from '../src/registry';
import { type FakeRelease, FakeGitHub } from '../test/fakes/github';

export async function runToLoopbackRelease(
  inputs: Record<string, string>,
  repository: string,
  io?: CliIo,
): Promise<{ code: number; release?: FakeRelease }> {
  const server = await new FakeGitHub(`ghs_loopback_${repository.replace(/\W/g, '_')}`).start();
  try {
    Object.assign(process.env, { GITHUB_REPOSITORY: repository, GITHUB_TOKEN: server.token });
    console.error(`sagewheels run; release API of ${repository} on ${server.url}\n`);
    const flags = Object.entries({ ...inputs, 'github-api-url': server.url }).flatMap(([name, value]) => [
      `--${name}`,
      value,
    ]);
    const code = await runCli(['run', ...flags], [...STEPS, PIPELINE], io);
    return { code, release: server.releases.find((r) => r.tag_name === inputs.tag) };
  } finally {
    await server.stop();
  }
}
