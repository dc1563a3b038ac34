import type { Context } from '../core/context';
import { inputError } from '../core/errors';
import { defineStep, type Inputs, WORKFLOW_TOKEN } from '../core/step';
import { gitHubClient, repoFromEnv } from '../github/client';
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
import { workflowArtifacts } from '../publish/artifacts';
import { publish, type ConflictPolicy } from '../publish/publish';
import { describeError, httpStatus, Transfers } from '../publish/transfer';
import { formatSize } from '../publish/views';
import { archsFromReport, findWheels, matchFiles, splitArchs, wheelPatterns, type LocalWheel } from '../publish/wheels';

const spec = {
  name: 'publish',
  title: 'Publish wheels',
  description:
    'Uploads wheels to a GitHub release (created when missing) with sha256 checksums and a wheel table in the release notes, and optionally as workflow artifacts, and/or commits them to a Hugging Face Hub repository; safe when matrix jobs publish to one release or branch at once.',
  inputs: {
    wheels: {
      description:
        "Wheels to publish: paths or globs, one per line or comma-separated, or a JSON list of paths (build's `wheels` output).",
      required: true,
    },
    target: {
      description:
        'Where to publish: github-release, huggingface (the Hugging Face Hub), or both separated by a comma (github-release,huggingface).',
      default: 'github-release',
    },
    tag: { description: 'Tag of the release (target github-release); the release is created when missing.' },
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
    },
    draft: { description: 'Create the release as a draft (when it does not exist yet).', default: 'false' },
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
    archs: { description: "GPU archs of these wheels for the release notes, e.g. verify's `archs` output." },
    report: {
      description:
        "verify's JSON report(s): paths or globs, one per line or comma-separated; archs per wheel are read from them.",
    },
    concurrency: { description: 'Uploads at once; GitHub advises against many concurrent requests.', default: '4' },
    'hf-repo': { description: 'Hub repository (target huggingface) as owner/name; created when missing.' },
    'hf-repo-type': { description: 'Kind of the Hub repository.', default: 'model', choices: ['model', 'dataset'] },
    'hf-revision': {
      description: 'Branch of the Hub repository to commit to; created from the default branch when missing.',
      default: 'main',
    },
    'hf-token': {
      description:
        'Hugging Face token (hf_...) with write access to hf-repo, e.g. secrets.HF_TOKEN. Empty: the HF_TOKEN environment variable.',
      secret: true,
    },
    'hf-endpoint': {
      description: 'Base URL of the Hub: a private Hub or a mirror.',
      default: 'https://huggingface.co',
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
        'JSON list of the wheels per target: name, action (create, replace, skip, unchanged), size, sha256, url (download URL), target.',
    },
  },
} as const;

type Input = keyof typeof spec.inputs;

/** GitHub's refusals that mean the token or the API URL is wrong, as errors that name that input. */
function explain(error: unknown, apiUrl: string, repo: string): unknown {
  const status = httpStatus(error);
  const message = (error as Error).message;
  if ((error as Error).name === 'HttpError' && status === undefined)
    return new Error(`GitHub API at ${apiUrl} could not be reached: ${describeError(error)}`);
  if (status === 401) return inputError('token', 'GitHub refused it (401 Bad credentials)', 'Give a valid token');
  if ((status === 403 && !/rate limit/i.test(message)) || status === 404) {
    return inputError(
      'token',
      `GitHub answered ${status} for ${repo} (${message})`,
      "Give a token that may write this repository's releases (permissions: contents: write)",
    );
  }
  return error;
}

/** The hf-* inputs, checked; the token is masked from here on. */
function hubTarget(inputs: Inputs<Input>, ctx: Context, env: NodeJS.ProcessEnv): HubTarget {
  const token = checkToken(inputs.string('hf-token') || (env.HF_TOKEN ?? ''));
  ctx.env.secret(token);
  return {
    repo: parseRepo(inputs.string('hf-repo'), inputs.choice('hf-repo-type')),
    revision: parseRevision(inputs.string('hf-revision')),
    folder: parseFolder(inputs.string('hf-path')),
    endpoint: parseEndpoint(inputs.string('hf-endpoint')),
    token,
  };
}

/** The wheels to publish, with their GPU archs from verify's reports or the archs input. */
async function localWheels(inputs: Inputs<Input>, ctx: Context, env: NodeJS.ProcessEnv): Promise<LocalWheel[]> {
  const cwd = env.GITHUB_WORKSPACE || process.cwd();
  const wheels = await findWheels(wheelPatterns(inputs.string('wheels')), cwd);
  // One report per matrix job when a single job publishes them all.
  const reported = new Map<string, string[]>();
  for (const pattern of inputs.list('report')) {
    const files = await matchFiles(pattern, cwd);
    if (files.length === 0)
      ctx.log.warning(`report: "${pattern}" matches no file; the release notes show no archs from it`);
    for (const file of files) {
      const archs = await archsFromReport(file).catch((error: Error) => {
        ctx.log.warning(
          `report: ${file} could not be read (${error.message}); the release notes show no archs from it`,
        );
        return new Map<string, string[]>();
      });
      for (const [wheel, list] of archs) reported.set(wheel, list);
    }
  }
  for (const wheel of wheels) wheel.archs = reported.get(wheel.name) ?? splitArchs(inputs.string('archs'));
  return wheels;
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
  const targets = parseTargets(inputs.string('target'));
  const hub = targets.includes('huggingface') ? hubTarget(inputs, ctx, env) : undefined;
  if (!targets.includes('github-release')) {
    const published = (await runHub(inputs, ctx, hub!, await localWheels(inputs, ctx, env), secondMs))!;
    return { 'release-url': published.url, 'hf-url': published.url, assets: JSON.stringify(published.assets) };
  }

  const token = inputs.string('token');
  if (token === '')
    throw inputError(
      'token',
      'is empty',
      'Give a token that may write releases (contents: write); the default is the workflow token',
    );
  ctx.env.secret(token);

  const repo = repoFromEnv(env);
  const tag = inputs.string('tag');
  if (tag === '')
    throw inputError('tag', 'is empty', 'Give the tag of the release to publish to (target github-release)');
  const onConflict = inputs.choice<ConflictPolicy>('on-conflict');
  const concurrency = inputs.integer('concurrency', 1);
  const wheels = await localWheels(inputs, ctx, env);
  // The Hub's refusals (its token, a conflict) come before anything is uploaded to the release.
  if (hub) await runHub(inputs, ctx, hub, wheels, secondMs, true);

  const apiUrl = inputs.optional('github-api-url') ?? env.GITHUB_API_URL ?? 'https://api.github.com';
  const api = gitHubClient({ token, apiUrl, retryAfterBaseValue: secondMs, log: { warn: (m) => ctx.log.warning(m) } });
  const transfers = new Transfers(gitHubClient({ token, apiUrl, bare: true }), repo, {
    retries: 4,
    secondMs,
    log: ctx.log,
  });
  const artifacts = inputs.boolean('artifact') ? workflowArtifacts(env, ctx.log) : undefined;
  const dryRun = inputs.boolean('dry-run');

  const result = await publish(
    {
      wheels,
      release: {
        tag,
        draft: inputs.boolean('draft'),
        prerelease: inputs.boolean('prerelease'),
        target: env.GITHUB_SHA,
      },
      onConflict,
      checksums: inputs.boolean('checksums'),
      indexPage: inputs.boolean('index-page'),
      dryRun,
      concurrency,
    },
    { api, transfers, repo, log: ctx.log, secondMs, artifacts },
  ).catch((error: unknown) => {
    throw explain(error, apiUrl, `${repo.owner}/${repo.repo}`);
  });

  const count = (action: string) => result.assets.filter((a) => a.action === action).length;
  ctx.summary.push(
    { kind: 'heading', text: `publish ${tag}${dryRun ? ' (dry run: nothing changed)' : ''}` },
    {
      kind: 'text',
      text: [
        result.releaseUrl
          ? `Release: ${result.releaseUrl}${result.releaseCreated ? ' (created)' : ''}`
          : `Release ${tag} would be created`,
        `${dryRun ? 'would create' : 'created'} ${count('create')}, ${dryRun ? 'would replace' : 'replaced'} ${count('replace')}, skipped ${count('skip')}, unchanged ${count('unchanged')}`,
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
  if (result.artifacts.length > 0) {
    ctx.summary.push({
      kind: 'table',
      header: ['workflow artifact', 'action'],
      rows: result.artifacts.map((a) => [a.name, a.action]),
    });
  }
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

export const step = defineStep({ spec, run: (inputs, ctx) => runPublish(inputs, ctx, process.env) });
