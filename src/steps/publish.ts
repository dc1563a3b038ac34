import { collectProblems, refuse } from '../core/check';
import type { Context, Log } from '../core/context';
import { inputError } from '../core/errors';
import { defineStep, type Inputs, WORKFLOW_TOKEN } from '../core/step';
import { checkTokenTransport } from '../core/url';
import { repoFromEnv, type Usage } from '../github/client';
import { GitHubReleaser } from '../github/releases';
import { explainHubError, hubClient } from '../hub/client';
import { publishToHub } from '../hub/publish';
import {
  checkToken,
  parseEndpoint,
  parseFolder,
  parseRepo,
  parseRevision,
  parseTargets,
  type HubTarget,
} from '../hub/target';
import type { MatrixEntry } from '../matrix/plan';
import { entriesWithout, entryOfWheel } from '../matrix/published';
import { workflowArtifacts } from '../publish/artifacts';
import { publish, type ConflictPolicy, type PublishResult } from '../publish/publish';
import { formatSize, type MissingWheel } from '../publish/views';
import {
  findWheels,
  matchFiles,
  readReport,
  splitArchs,
  wheelPatterns,
  type LocalWheel,
  type Verified,
} from '../publish/wheels';

const spec = {
  name: 'publish',
  title: 'Publish wheels',
  description:
    'Uploads wheels to a GitHub release (created as a draft, published once every file is on it) with sha256 checksums and a wheel table in the release notes, and optionally as workflow artifacts, and/or commits them to a Hugging Face Hub repository; safe when matrix jobs publish to one release or branch at once, and on repositories with immutable releases.',
  inputs: {
    wheels: {
      description:
        "Wheels to publish: paths or globs, one per line or comma-separated, or a JSON list of paths (build's `wheels` output). Links and files outside the workspace are refused.",
      required: true,
      kind: 'list',
    },
    target: {
      description:
        'Where to publish: github-release, huggingface (the Hugging Face Hub), or both separated by a comma (github-release,huggingface).',
      default: 'github-release',
      kind: 'list',
    },
    tag: {
      description: 'Tag of the release (target github-release); the release is created when missing.',
      kind: 'git-ref',
    },
    'on-conflict': {
      description:
        "When the release already has a different file of a wheel's name: overwrite it, skip the wheel, or fail before changing anything. An identical file (same sha256) counts as published.",
      default: 'fail',
      choices: ['overwrite', 'skip', 'fail'],
    },
    token: {
      description: "GitHub token that may write the repository's contents (releases).",
      default: WORKFLOW_TOKEN,
      secret: true,
    },
    'github-api-url': {
      description:
        "REST API base URL; on GitHub Enterprise Server https://HOST/api/v3. Empty: the workflow's (GITHUB_API_URL).",
      kind: 'url',
    },
    'allow-insecure-http': {
      description:
        'Send the tokens over plain http to a host that is not loopback (github-api-url, hf-endpoint); otherwise such a URL is refused before any request.',
      default: 'false',
    },
    draft: {
      description:
        'Leave the release a draft. Otherwise a draft release (new, or found) is published once every file is on it.',
      default: 'false',
    },
    prerelease: { description: 'Mark a release this step creates as a prerelease.', default: 'false' },
    checksums: {
      description: 'Publish <wheel>.sha256 for each wheel and SHA256SUMS listing every wheel of the release.',
      default: 'true',
    },
    'index-page': {
      description:
        "Publish index.html, a PEP 503 style page of the release's wheels with #sha256= links, for pip --find-links.",
      default: 'false',
    },
    artifact: {
      description:
        'Also upload each wheel as a workflow artifact named after the wheel (skipped with a warning on GitHub Enterprise Server).',
      default: 'false',
    },
    'dry-run': {
      description: 'Print what would be created, replaced and skipped, and change nothing.',
      default: 'false',
    },
    archs: {
      description: "GPU archs of these wheels for the release notes, e.g. verify's `archs` output.",
      kind: 'list',
    },
    report: {
      description:
        "verify's JSON report(s): paths or globs, one per line or comma-separated. Archs per wheel are read from them, a wheel they say failed is refused, and with `matrix` they tell why a combination is missing.",
      kind: 'list',
    },
    matrix: {
      description:
        "The matrix the wheels were built from (matrix's `matrix` output): combinations with no wheel here are listed in the release notes as missing, with the reason.",
      kind: 'multiline',
    },
    concurrency: {
      description: 'Uploads at once; GitHub advises against many concurrent requests.',
      default: '4',
      type: 'integer',
      min: 1,
    },
    'rate-limit-wait': {
      description:
        "Longest wait, in seconds, for GitHub's API rate limit to let requests through; a longer one fails the step with the time it resets.",
      default: '300',
      type: 'integer',
      min: 0,
    },
    'hf-repo': { description: 'Hub repository (target huggingface) as owner/name; created when missing.' },
    'hf-repo-type': { description: 'Kind of the Hub repository.', default: 'model', choices: ['model', 'dataset'] },
    'hf-revision': {
      description: 'Branch of the Hub repository to commit to; created from the default branch when missing.',
      default: 'main',
      kind: 'git-ref',
    },
    'hf-token': {
      description:
        'Hugging Face token (hf_...) with write access to hf-repo, e.g. secrets.HF_TOKEN. Empty: the HF_TOKEN environment variable.',
      secret: true,
    },
    'hf-endpoint': {
      description: 'Base URL of the Hub: a private Hub or a mirror.',
      default: 'https://huggingface.co',
      kind: 'url',
    },
    'hf-path': {
      description:
        'Folder of the wheels (and their SHA256SUMS) in the Hub repository; . for the top. The wheel table goes into README.md.',
      default: 'wheels',
    },
  },
  outputs: {
    'release-url': {
      description:
        "Web page of the release (empty in a dry run when it does not exist yet); with target huggingface alone, the Hub repository's page.",
    },
    'hf-url': { description: 'Web page of the Hub repository (at hf-revision), with target huggingface.' },
    assets: {
      description:
        'JSON list of the wheels per target: name, action (create, replace, skip, unchanged, superseded: replaced by another job afterwards), size, sha256, url (download URL), target.',
    },
  },
} as const;

type Input = keyof typeof spec.inputs;

/** The wheels to publish, with their archs; what the reports say failed is refused here, before any request. */
async function collectWheels(
  inputs: Inputs<Input>,
  cwd: string,
  log: Log,
): Promise<{ wheels: LocalWheel[]; verified: Verified[] }> {
  const wheels = await findWheels(wheelPatterns(inputs.string('wheels')), cwd);
  // One report per matrix job when a single job publishes them all.
  const verified: Verified[] = [];
  for (const pattern of inputs.list('report')) {
    const files = await matchFiles(pattern, cwd);
    if (files.length === 0)
      log.warning(`report: "${pattern}" matches no file; the release notes show no archs from it`);
    for (const file of files) {
      verified.push(
        ...(await readReport(file).catch((error: Error) => {
          log.warning(`report: ${file} could not be read (${error.message}); the release notes show no archs from it`);
          return [];
        })),
      );
    }
  }
  const failed = wheels.flatMap((w) => verified.filter((v) => v.name === w.name && !v.passed));
  if (failed.length > 0) {
    throw inputError(
      'wheels',
      failed.map((v) => `${v.name} failed verify (${v.file}: ${v.problems.join(' ') || 'passed: false'})`).join('; '),
      'Publish only wheels that passed verify',
    );
  }
  const archs = splitArchs(inputs.string('archs'));
  for (const wheel of wheels) wheel.archs = verified.findLast((v) => v.name === wheel.name)?.archs ?? archs;
  return { wheels, verified };
}

/** `matrix` as the matrix step writes it ({"include": [...]}) or a bare list. */
function plannedEntries(value: string | undefined): MatrixEntry[] {
  if (!value) return [];
  try {
    const parsed = JSON.parse(value) as { include?: unknown } | unknown[];
    const list = Array.isArray(parsed) ? parsed : parsed.include;
    if (Array.isArray(list) && list.every((e) => typeof e === 'object' && e !== null && 'python' in e))
      return list as MatrixEntry[];
  } catch {
    // the error below
  }
  throw inputError('matrix', `${value.slice(0, 80)} is not a matrix`, "Give the matrix step's `matrix` output");
}

/** The planned combinations without a wheel, and why: a failed verify, else the job's failure. */
function missingWheels(entries: MatrixEntry[], wheels: LocalWheel[], verified: Verified[]): MissingWheel[] {
  return entriesWithout(
    entries,
    wheels.map((w) => w.name),
  ).map((entry) => {
    const failed = verified.find((v) => !v.passed && entryOfWheel([entry], v.name));
    return {
      combination: `Python ${entry.python}, torch ${entry.torch}, CUDA ${entry.cuda}, ${entry.platform}`,
      reason: failed
        ? `verify failed: ${failed.problems.join(' ') || 'see its report'}`
        : 'no wheel: its build job failed or was cancelled (see the workflow run)',
    };
  });
}

/** The GitHub release target: the releases seam built once, and the publish library. */
async function publishToGitHub(
  inputs: Inputs<Input>,
  wheels: LocalWheel[],
  missing: MissingWheel[],
  ctx: Context,
  env: NodeJS.ProcessEnv,
  secondMs: number,
): Promise<PublishResult> {
  const token = inputs.string('token');
  ctx.env.secret(token);
  const tag = inputs.string('tag');
  const repo = repoFromEnv(env);
  const releaser = new GitHubReleaser({
    token,
    apiUrl: apiUrl(inputs, env),
    repo,
    write: true,
    secondMs,
    maxWaitSeconds: inputs.integer('rate-limit-wait', 0),
    log: ctx.log,
  });
  const artifacts = inputs.boolean('artifact') ? workflowArtifacts(env, ctx.log, secondMs) : undefined;
  return publish(
    {
      wheels,
      release: {
        tag,
        draft: inputs.boolean('draft'),
        prerelease: inputs.boolean('prerelease'),
        target: env.GITHUB_SHA,
      },
      onConflict: inputs.choice<ConflictPolicy>('on-conflict'),
      checksums: inputs.boolean('checksums'),
      indexPage: inputs.boolean('index-page'),
      dryRun: inputs.boolean('dry-run'),
      concurrency: inputs.integer('concurrency', 1),
      missing,
    },
    { releaser, log: ctx.log, secondMs, artifacts },
  );
}

const budget = (usage: Usage): string =>
  `GitHub API: ${usage.requests} request(s) this step` +
  (usage.remaining !== undefined
    ? `; ${usage.remaining} of ${usage.limit} left until ${new Date((usage.reset ?? 0) * 1000).toISOString().slice(11, 16)} UTC`
    : '');

function summarize(ctx: Context, tag: string, dryRun: boolean, result: PublishResult, missing: MissingWheel[]): void {
  const count = (action: string) => result.assets.filter((a) => a.action === action).length;
  ctx.summary.push(
    { kind: 'heading', text: `publish ${tag}${dryRun ? ' (dry run: nothing changed)' : ''}` },
    {
      kind: 'text',
      text: [
        result.releaseUrl
          ? `Release: ${result.releaseUrl}${result.releaseCreated ? ' (created)' : ''}${result.published ? '' : ' (draft)'}`
          : `Release ${tag} would be created`,
        `${dryRun ? 'would create' : 'created'} ${count('create')}, ${dryRun ? 'would replace' : 'replaced'} ${count('replace')}, skipped ${count('skip')}, unchanged ${count('unchanged')}${count('superseded') ? `, superseded ${count('superseded')}` : ''}`,
        result.listings.length > 0 ? `rewrote ${result.listings.join(', ')}` : '',
        missing.length > 0 ? `${missing.length} planned combination(s) have no wheel` : '',
        budget(result.usage),
      ]
        .filter(Boolean)
        .join('. '),
    },
    {
      kind: 'table',
      header: ['wheel', 'action', 'size', 'sha256'],
      rows: result.assets.map((a) => [a.name, a.action, formatSize(a.size), a.sha256 ?? '']),
    },
  );
  if (missing.length > 0)
    ctx.summary.push({
      kind: 'table',
      header: ['missing', 'why'],
      rows: missing.map((m) => [m.combination, m.reason]),
    });
  if (result.artifacts.length > 0) {
    ctx.summary.push({
      kind: 'table',
      header: ['workflow artifact', 'action'],
      rows: result.artifacts.map((a) => [a.name, a.action]),
    });
  }
}

/** The hf-* inputs, each checked (the caller masks the token). */
async function hubTarget(inputs: Inputs<Input>, env: NodeJS.ProcessEnv): Promise<HubTarget> {
  const target = {} as HubTarget;
  refuse(
    await collectProblems([
      () => (target.repo = parseRepo(inputs.string('hf-repo'), inputs.choice('hf-repo-type'))),
      () => (target.revision = parseRevision(inputs.string('hf-revision'))),
      () => (target.folder = parseFolder(inputs.string('hf-path'))),
      () => (target.endpoint = parseEndpoint(inputs.string('hf-endpoint'))),
      () => (target.token = checkToken(inputs.string('hf-token') || (env.HF_TOKEN ?? ''))),
    ]),
  );
  return target;
}

/** A token the Hub says may not write the repository is refused before anything is written anywhere. */
async function checkHubWrite(target: HubTarget, log: Log, secondMs: number): Promise<void> {
  const hub = hubClient({ token: target.token, endpoint: target.endpoint, log, secondMs });
  const mayWrite = await hub.mayWrite(target.repo).catch((error: unknown) => {
    throw explainHubError(error, target);
  });
  if (mayWrite === false)
    throw inputError(
      'hf-token',
      `the Hub at ${target.endpoint} says this token may not write ${target.repo.type} ${target.repo.name}`,
      'Give a token with write access to hf-repo (a write token, or a fine-grained one with repo.write on it or its owner)',
    );
}

/** Commits the wheels to the Hub (or, with `check`, only plans it: a dry run that logs nothing, to refuse early). */
async function runHub(
  inputs: Inputs<Input>,
  ctx: Context,
  target: HubTarget,
  wheels: LocalWheel[],
  secondMs: number,
  check = false,
) {
  const log = check ? { ...ctx.log, info: () => undefined } : ctx.log;
  const dryRun = check || inputs.boolean('dry-run');
  const hub = hubClient({ token: target.token, endpoint: target.endpoint, log, secondMs });
  const result = await publishToHub(
    {
      wheels,
      target,
      onConflict: inputs.choice<ConflictPolicy>('on-conflict'),
      checksums: inputs.boolean('checksums'),
      dryRun,
    },
    { hub, log, secondMs },
  ).catch((error: unknown) => {
    throw explainHubError(error, target);
  });
  if (check) return undefined;

  const count = (action: string) => result.assets.filter((a) => a.action === action).length;
  ctx.summary.push(
    {
      kind: 'heading',
      text: `publish to the Hub: ${target.repo.name}@${target.revision}${dryRun ? ' (dry run: nothing changed)' : ''}`,
    },
    {
      kind: 'text',
      text: [
        `Repository: ${result.repoUrl}${result.repoCreated ? ' (created)' : ''}${result.branchCreated ? ` (branch ${target.revision} created)` : ''}`,
        `${dryRun ? 'would create' : 'created'} ${count('create')}, ${dryRun ? 'would replace' : 'replaced'} ${count('replace')}, skipped ${count('skip')}, unchanged ${count('unchanged')}`,
        result.commit ? `commit ${result.commit.url}` : '',
        result.listings.length > 0 ? `rewrote ${result.listings.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('. '),
    },
    {
      kind: 'table',
      header: ['wheel', 'action', 'size', 'sha256'],
      rows: result.assets.map((a) => [a.name, a.action, formatSize(a.size), a.sha256 ?? '']),
    },
  );
  return { url: result.repoUrl, assets: result.assets.map((a) => ({ ...a, target: 'huggingface' })) };
}

/** The step itself, with the environment and the length of a waited second given (tests shrink it). */
export async function runPublish(inputs: Inputs<Input>, ctx: Context, env: NodeJS.ProcessEnv, secondMs = 1000) {
  const { targets, hub } = await checkPublish(inputs, env);
  if (hub) ctx.env.secret(hub.token);
  const cwd = env.GITHUB_WORKSPACE || process.cwd();
  const entries = plannedEntries(inputs.optional('matrix'));
  const { wheels, verified } = await collectWheels(inputs, cwd, ctx.log);
  // Every target's credentials before the first write to any of them.
  if (hub && !inputs.boolean('dry-run')) await checkHubWrite(hub, ctx.log, secondMs);
  if (!targets.includes('github-release')) {
    const published = (await runHub(inputs, ctx, hub!, wheels, secondMs))!;
    return { 'release-url': published.url, 'hf-url': published.url, assets: JSON.stringify(published.assets) };
  }
  // The Hub's refusals (its token, a conflict) come before anything is uploaded to the release.
  if (hub) await runHub(inputs, ctx, hub, wheels, secondMs, true);
  const missing = missingWheels(entries, wheels, verified);
  const result = await publishToGitHub(inputs, wheels, missing, ctx, env, secondMs);
  summarize(ctx, inputs.string('tag'), inputs.boolean('dry-run'), result, missing);
  ctx.log.info(budget(result.usage));
  const published = hub ? await runHub(inputs, ctx, hub, wheels, secondMs) : undefined;
  return {
    'release-url': result.releaseUrl,
    'hf-url': published?.url ?? '',
    assets: JSON.stringify([
      ...result.assets.map((a) => ({ ...a, target: 'github-release' })),
      ...(published?.assets ?? []),
    ]),
  };
}

const apiUrl = (inputs: Inputs<Input>, env: NodeJS.ProcessEnv): string =>
  inputs.optional('github-api-url') ?? env.GITHUB_API_URL ?? 'https://api.github.com';

/** What publish refuses before any request, every mistake at once: a target's token, tag, repository and Hub inputs. */
async function checkPublish(inputs: Inputs<Input>, env: NodeJS.ProcessEnv) {
  const targets = parseTargets(inputs.string('target'));
  let hub: HubTarget | undefined;
  const github = targets.includes('github-release');
  const insecure = inputs.boolean('allow-insecure-http');
  refuse(
    await collectProblems([
      () => {
        if (github && inputs.string('token') === '')
          throw inputError(
            'token',
            'is empty',
            'Give a token that may write releases (contents: write); the default is the workflow token',
          );
      },
      () => {
        if (github && inputs.string('tag') === '')
          throw inputError('tag', 'is empty', 'Give the tag of the release to publish to (target github-release)');
      },
      () => github && repoFromEnv(env),
      () => github && checkTokenTransport('github-api-url', apiUrl(inputs, env), insecure),
      async () => {
        hub = targets.includes('huggingface') ? await hubTarget(inputs, env) : undefined;
        if (hub) checkTokenTransport('hf-endpoint', hub.endpoint, insecure);
      },
    ]),
  );
  return { targets, hub };
}

export const step = defineStep({
  spec,
  check: async (inputs) => void (await checkPublish(inputs, process.env)),
  run: (inputs, ctx) => runPublish(inputs, ctx, process.env),
});
