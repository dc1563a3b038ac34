import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { errorMessage } from '../../src/core/errors';
import { Inputs } from '../../src/core/step';
import { runPublish, step } from '../../src/steps/publish';
import { readZip } from '../../src/wheel/zip';
import { FakeArtifactService } from '../fakes/artifact';
import { FakeGitHub } from '../fakes/github';
import { recordingContext } from '../helpers/context';
import { SECOND_MS, validWheelFiles, wheelName } from './helpers';

// The real @actions/artifact client, talking to a loopback artifact service.
describe('artifact: true', () => {
  let github: FakeGitHub;
  let service: FakeArtifactService;
  let files: Awaited<ReturnType<typeof validWheelFiles>>;
  const saved = { ...process.env };
  beforeAll(async () => {
    github = await new FakeGitHub().start();
    service = await new FakeArtifactService().start();
    files = await validWheelFiles([wheelName(0), wheelName(1)]);
  });
  afterAll(async () => {
    process.env = saved;
    await Promise.all([github.stop(), service.stop()]);
  });
  beforeEach(() => {
    github.releases.length = 0;
    Object.assign(process.env, {
      GITHUB_REPOSITORY: 'octo/wheels',
      GITHUB_WORKSPACE: files.dir,
      GITHUB_API_URL: github.url,
      GITHUB_SERVER_URL: 'https://github.com',
      ACTIONS_RUNTIME_TOKEN: service.token,
      ACTIONS_RESULTS_URL: `${service.url}/`,
    });
  });

  const publishWith = async (raw: Record<string, string> = {}) => {
    const ctx = recordingContext();
    const inputs = new Inputs(step.spec, { token: github.token, tag: 'v1', wheels: '*.whl', artifact: 'true', ...raw });
    const outputs = await runPublish(inputs, ctx, process.env, SECOND_MS);
    return { ctx, outputs };
  };

  it('uploads one artifact per wheel, named after it, holding the wheel byte for byte', async () => {
    const { ctx } = await publishWith();
    expect(service.artifacts.map((a) => a.name).sort()).toEqual([wheelName(0), wheelName(1)]);
    for (const artifact of service.artifacts) {
      const zip = path.join(files.dir, `${artifact.id}.zip`);
      await writeFile(zip, artifact.data);
      const [entry, ...rest] = await readZip(zip);
      expect(rest).toEqual([]);
      expect(entry!.name).toBe(artifact.name);
      expect(entry!.data.equals(files.data.get(artifact.name)!)).toBe(true);
    }
    expect(ctx.summary.some((b) => b.kind === 'table' && b.header[0] === 'workflow artifact')).toBe(true);
  });

  it('follows on-conflict for artifacts of the run too: skip, overwrite, and fail before anything changes', async () => {
    const ids = () => service.artifacts.map((a) => a.id).sort();
    const before = ids();
    await publishWith({ 'on-conflict': 'skip' });
    expect(ids()).toEqual(before);
    await publishWith({ 'on-conflict': 'overwrite' });
    expect(ids()).not.toEqual(before);
    expect(service.artifacts).toHaveLength(2);
    github.releases.length = 0;
    const error = await publishWith({ 'on-conflict': 'fail' }).catch((e: unknown) => e);
    expect(errorMessage(error)).toMatch(
      /^on-conflict: fail, and this workflow run already has artifact\(s\) sageattention-2\.2\.0\+/,
    );
    expect(github.releases).toEqual([]);
  });

  it('overwrite: the 409 "already exists" the service answers just after a delete is tried again', async () => {
    await publishWith({ 'on-conflict': 'skip' });
    service.conflictsAfterDelete = 2;
    try {
      const { ctx } = await publishWith({ 'on-conflict': 'overwrite' });
      expect(ctx.text()).toMatch(
        /warning: artifact sageattention-\S+: the service still holds the deleted one \(409\); retry 2 of 5/,
      );
      expect(service.artifacts.map((a) => a.name).sort()).toEqual([wheelName(0), wheelName(1)]);
    } finally {
      service.conflictsAfterDelete = 0;
    }
  });

  it('on GitHub Enterprise Server: warns, publishes the release, and never calls the artifact service', async () => {
    process.env.GITHUB_SERVER_URL = 'https://ghe.example.com';
    const calls = service.requests.length;
    const { ctx, outputs } = await publishWith();
    expect(ctx.text()).toContain('warning: artifact: workflow artifacts are skipped on GitHub Enterprise Server');
    expect(outputs['release-url']).toContain('/releases/tag/v1');
    expect(service.requests.length).toBe(calls);
  });
});
