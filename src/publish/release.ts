import type { Log } from '../core/context';
import { inputError } from '../core/errors';
import {
  describeError as describeWrapped,
  httpError,
  httpStatus,
  isImmutableRefusal,
  isWorkflowsRefusal,
} from '../github/errors';
import type { NewRelease, Release, Releaser } from '../github/releases';

/** GitHub's own answer, without what our retries wrapped around it. */
const describeError = (error: unknown): string => describeWrapped(httpError(error) ?? error);

export interface ReleaseSpec extends Omit<NewRelease, 'draft'> {
  /** Leave the release a draft; otherwise it is published once every file is on it. */
  draft: boolean;
}

/** What to tell the user when GitHub refuses to make a tag on the workflow's commit. */
export function workflowsRefusal(tag: string, target: string | undefined, error: unknown, draftUrl?: string): Error {
  return new Error(
    `GitHub refused to create tag ${tag}${target ? ` at ${target.slice(0, 12)}` : ''} (${describeError(error)}): ` +
      "that commit's .github/workflows/ differs from the default branch, and GITHUB_TOKEN may not create such a tag. " +
      `Push the tag first (git tag ${tag} && git push origin ${tag}) and run again, or give a token with the workflows permission (a GitHub App's or a fine-grained token)` +
      (draftUrl ? `. Every file is on the draft release, ready to publish: ${draftUrl}` : ''),
    { cause: error },
  );
}

/** What to tell the user when the tag belongs to an immutable release that is gone. */
function immutableTag(tag: string, error: unknown): Error {
  return inputError(
    'tag',
    `${tag} was used by an immutable release, and GitHub refuses a new release for it (${describeError(error)})`,
    'Publish under a new tag',
  );
}

/**
 * Creates the tag's release as a draft, leaving one release with the tag. Matrix jobs race
 * here, and drafts may share a tag: each job that created one keeps the tag's published
 * release, else its oldest draft, and deletes its own empty draft when that is not the one.
 */
export async function createDraft(
  releaser: Releaser,
  spec: ReleaseSpec,
  log: Log,
): Promise<{ release: Release; created: boolean }> {
  let created: Release;
  try {
    created = await releaser.create({ ...spec, draft: true });
  } catch (error) {
    if (isImmutableRefusal(error)) throw immutableTag(spec.tag, error);
    if (isWorkflowsRefusal(error)) throw workflowsRefusal(spec.tag, spec.target, error);
    if (httpStatus(error) === 422)
      throw inputError(
        'tag',
        `GitHub refused to create a release for "${spec.tag}" (${describeError(error)})`,
        'Give a valid tag name',
      );
    throw error;
  }
  const tagged = await releaser.tagged(spec.tag);
  const keep = tagged.find((r) => !r.draft) ?? tagged[0];
  if (!keep || keep.id === created.id) return { release: created, created: true };
  await releaser.deleteDraft(created);
  log.info(`another job created release ${spec.tag} first; using it`);
  return { release: keep, created: false };
}
