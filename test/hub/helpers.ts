import { writeFile } from 'node:fs/promises';
import { hubClient } from '../../src/hub/client';
import { publishToHub, type HubPublishRequest, type HubPublishResult } from '../../src/hub/publish';
import type { LocalWheel } from '../../src/publish/wheels';
import type { FakeHub } from '../fakes/hub';
import { recordingContext, type RecordingContext } from '../helpers/context';
import { SECOND_MS, wheelFiles } from '../publish/helpers';

export const WRITE_TOKEN = 'hf_WriteToken_sagewheels_0123456789';
export const READ_TOKEN = 'hf_ReadToken_sagewheels_0123456789';
export const REPO = 'octo/wheels';

export function hubRequest(
  fake: FakeHub,
  wheels: LocalWheel[],
  fields: Partial<HubPublishRequest> & { revision?: string; folder?: string; type?: 'model' | 'dataset' } = {},
): HubPublishRequest {
  const { revision = 'main', folder = 'wheels', type = 'model', ...rest } = fields;
  return {
    wheels,
    target: { repo: { type, name: REPO }, revision, folder, endpoint: fake.url },
    onConflict: 'fail',
    checksums: true,
    dryRun: false,
    ...rest,
  };
}

/** One publisher (one matrix job): its own client and recorded log. */
export async function runHubPublisher(
  fake: FakeHub,
  request: HubPublishRequest,
  token = WRITE_TOKEN,
  ctx: RecordingContext = recordingContext(),
): Promise<HubPublishResult & { ctx: RecordingContext }> {
  const hub = hubClient({ token, endpoint: fake.url, log: ctx.log, secondMs: SECOND_MS });
  const result = await publishToHub(request, { hub, log: ctx.log, secondMs: SECOND_MS });
  return { ...result, ctx };
}

/** Text of a file at the head of a branch. */
export const fileText = (fake: FakeHub, path: string, branch = 'main'): string | undefined =>
  fake.tree(REPO, branch).get(path)?.data.toString();

/**
 * Wheel files of random bytes behind a zip local-file header, as real wheels begin: the Hub sends
 * files with a NUL in their first 512 bytes to LFS, and random bytes alone miss one now and then.
 */
export async function zipWheels(names: string[], size = 30_000): Promise<Awaited<ReturnType<typeof wheelFiles>>> {
  const files = await wheelFiles(names, size);
  for (const wheel of files.wheels) {
    const data = files.data.get(wheel.name)!;
    Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00]).copy(data);
    await writeFile(wheel.path, data);
  }
  return files;
}
