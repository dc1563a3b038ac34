import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GitHubReleaser } from '../../src/github/releases';
import { publish, type PublishRequest, type PublishResult } from '../../src/publish/publish';
import type { LocalWheel } from '../../src/publish/wheels';
import { parseWheelName } from '../../src/wheel/name';
import { formatRecord, recordHash } from '../../src/wheel/record';
import { writeZip } from '../../src/wheel/zip';
import type { FakeGitHub } from '../fakes/github';
import { recordingContext, type RecordingContext } from '../helpers/context';

export const repo = { owner: 'octo', repo: 'wheels' };
/** Milliseconds per second of Retry-After and backoff in tests: waits stay real, only shorter. */
export const SECOND_MS = 20;

export const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** Wheel files with random bytes of the given sizes; names as build makes them. */
export async function wheelFiles(
  names: string[],
  size = 40_000,
): Promise<{ dir: string; wheels: LocalWheel[]; data: Map<string, Buffer> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sagewheels-publish-'));
  const data = new Map<string, Buffer>();
  const wheels: LocalWheel[] = [];
  for (const name of names) {
    const bytes = randomBytes(size);
    await writeFile(path.join(dir, name), bytes);
    data.set(name, bytes);
    wheels.push({ path: path.join(dir, name), name, size, archs: [] });
  }
  return { dir, wheels, data };
}

/** Whole wheels (METADATA, WHEEL and RECORD agree with the name) with random payloads: what publish's integrity check passes. */
export async function validWheelFiles(
  names: string[],
): Promise<{ dir: string; wheels: LocalWheel[]; data: Map<string, Buffer> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sagewheels-publish-'));
  const wheels: LocalWheel[] = [];
  const data = new Map<string, Buffer>();
  for (const name of names) {
    const wheel = parseWheelName(name);
    const info = `${wheel.distribution}-${wheel.version}.dist-info`;
    const item = (file: string, data: Buffer) => ({ name: file, data, mode: 0o644 });
    const files = [
      item(`${wheel.distribution}/payload.bin`, randomBytes(4_000)),
      item(
        `${info}/METADATA`,
        Buffer.from(`Metadata-Version: 2.1\nName: ${wheel.distribution}\nVersion: ${wheel.version}\n`),
      ),
      item(`${info}/WHEEL`, Buffer.from(`Wheel-Version: 1.0\nTag: ${wheel.python}-${wheel.abi}-${wheel.platform}\n`)),
    ];
    const rows = files.map((f) => ({ path: f.name, hash: recordHash(f.data), size: String(f.data.length) }));
    files.push(
      item(`${info}/RECORD`, Buffer.from(formatRecord([...rows, { path: `${info}/RECORD`, hash: '', size: '' }]))),
    );
    const file = path.join(dir, name);
    await writeZip(file, files);
    wheels.push({ path: file, name, size: (await stat(file)).size, archs: [] });
    data.set(name, await readFile(file));
  }
  return { dir, wheels, data };
}

export const wheelName = (i: number, label = 'cu128torch2.7.1', python = 'cp312'): string =>
  `sageattention-2.2.${i}+${label}-${python}-${python}-linux_x86_64.whl`;

export function request(wheels: LocalWheel[], fields: Partial<PublishRequest> = {}): PublishRequest {
  return {
    wheels,
    release: { tag: 'v1', draft: false, prerelease: false, target: 'abc123' },
    onConflict: 'fail',
    checksums: true,
    indexPage: false,
    dryRun: false,
    concurrency: 4,
    ...fields,
  };
}

/** One publisher (one matrix job): its own clients and recorded log. */
export async function runPublisher(
  fake: FakeGitHub,
  req: PublishRequest,
  ctx: RecordingContext = recordingContext(),
  releaserOptions: Partial<ConstructorParameters<typeof GitHubReleaser>[0]> = {},
): Promise<PublishResult & { ctx: RecordingContext }> {
  const releaser = new GitHubReleaser({
    token: fake.token,
    apiUrl: fake.url,
    repo,
    write: true,
    secondMs: SECOND_MS,
    log: ctx.log,
    ...releaserOptions,
  });
  const result = await publish(req, { releaser, log: ctx.log, secondMs: SECOND_MS });
  return { ...result, ctx };
}

/** The text of an asset as the fake stores it. */
export const text = (fake: FakeGitHub, tag: string, name: string): string | undefined =>
  fake.releases
    .find((r) => r.tag_name === tag)
    ?.assets.find((a) => a.name === name)
    ?.data.toString();
