import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeGitHub } from '../fakes/github';
import { request, runPublisher, validWheelFiles, wheelName } from './helpers';

// `sagewheels publish` as a job runs it: a process of its own, from the sources (the CLI in dist/
// is built by the lead), against the loopback GitHub, ended by a signal while its uploads hang.
const ROOT = path.resolve(import.meta.dirname, '../..');
let fake: FakeGitHub;

beforeEach(async () => {
  fake = await new FakeGitHub().start();
});
afterEach(() => fake.stop());

/** The publish step in a process group of its own, as a job's processes are: a signal reaches run-ts and the node it starts. */
function publishProcess(wheels: readonly string[]) {
  const child = spawn(
    process.execPath,
    [
      'scripts/run-ts.mjs',
      'src/cli.ts',
      'publish',
      '--wheels',
      wheels.join(','),
      '--tag',
      'v1',
      '--token',
      fake.token,
      '--github-api-url',
      fake.url,
      '--concurrency',
      '2',
    ],
    {
      cwd: ROOT,
      env: { ...process.env, GITHUB_REPOSITORY: 'octo/wheels', GITHUB_SHA: 'abc123' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => void (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => void (output += chunk.toString()));
  const group = child.pid!;
  const running = () => {
    try {
      process.kill(-group, 0);
      return true;
    } catch {
      return false;
    }
  };
  return {
    kill: (signal: NodeJS.Signals) => process.kill(-group, signal),
    /** Waits until every process of the group has ended. */
    ended: () => vi.waitFor(() => expect(running()).toBe(false), { timeout: 30_000, interval: 50 }),
    output: () => output,
  };
}

const names = [wheelName(1), wheelName(2)];

describe('a publish ended by a signal in the middle of its uploads (real process, loopback GitHub)', () => {
  it('SIGTERM: no upload is left, the draft it created is deleted, and the log says what it left', async () => {
    const { wheels } = await validWheelFiles(names);
    fake.holdUploads();
    const run = publishProcess(wheels.map((w) => w.path));
    await vi.waitFor(() => expect(fake.held).toBe(2), { timeout: 60_000, interval: 50 });
    expect(fake.releasesTagged('v1')).toMatchObject([
      { draft: true, assets: [{ state: 'starter' }, { state: 'starter' }] },
    ]);
    run.kill('SIGTERM');
    await run.ended();
    expect(fake.releasesTagged('v1')).toEqual([]);
    expect(run.output()).toContain('cancelled (SIGTERM); removed the draft release v1 it created');
    expect(run.output()).toMatch(/error: publish to v1 cancelled \(SIGTERM\): removed the draft release v1 it created/);
    expect(run.output()).not.toContain(fake.token);
  }, 120_000);

  it('SIGTERM on a release that was there before: the release is left as it was', async () => {
    const release = fake.addRelease({ tag_name: 'v1' });
    fake.addAsset(release, 'notes.txt', Buffer.from('published before'));
    const { wheels } = await validWheelFiles(names);
    fake.holdUploads();
    const run = publishProcess(wheels.map((w) => w.path));
    await vi.waitFor(() => expect(fake.held).toBe(2), { timeout: 60_000, interval: 50 });
    run.kill('SIGTERM');
    await run.ended();
    expect(fake.releasesTagged('v1')).toMatchObject([
      { id: release.id, draft: false, assets: [{ name: 'notes.txt', state: 'uploaded' }] },
    ]);
    expect(fake.releasesTagged('v1')[0]!.assets).toHaveLength(1);
    expect(run.output()).toContain('release v1 is as it was before the run');
  }, 120_000);

  it('SIGKILL leaves a draft with unfinished uploads, and the next run completes the release', async () => {
    const { wheels, data } = await validWheelFiles(names);
    fake.holdUploads();
    const run = publishProcess(wheels.map((w) => w.path));
    await vi.waitFor(() => expect(fake.held).toBe(2), { timeout: 60_000, interval: 50 });
    run.kill('SIGKILL');
    await run.ended();
    expect(fake.releasesTagged('v1')).toMatchObject([
      { draft: true, assets: [{ state: 'starter' }, { state: 'starter' }] },
    ]);

    fake.faults.length = 0; // GitHub answers again
    const next = await runPublisher(fake, request(wheels));
    expect(next.published).toBe(true);
    const [release, ...others] = fake.releasesTagged('v1');
    expect(others).toEqual([]);
    expect(release!.draft).toBe(false);
    expect(release!.assets.every((a) => a.state === 'uploaded')).toBe(true);
    for (const name of names) expect(release!.assets.find((a) => a.name === name)?.data).toEqual(data.get(name));
    expect(release!.assets.map((a) => a.name).sort()).toEqual(
      [...names, ...names.map((n) => `${n}.sha256`), 'SHA256SUMS'].sort(),
    );
  }, 120_000);
});
