import type { Context } from '../core/context';
import { inputError } from '../core/errors';
import { defineStep, type Inputs, WORKFLOW_TOKEN } from '../core/step';
import { gitHubClient, repoFromEnv } from '../github/client';
import { workflowArtifacts } from '../publish/artifacts';
import { publish, type ConflictPolicy } from '../publish/publish';
import { describeError, httpStatus, Transfers } from '../publish/transfer';
import { formatSize } from '../publish/views';
import { archsFromReport, findWheels, matchFiles, splitArchs, wheelPatterns } from '../publish/wheels';

const spec = {
  name: 'publish',
  title: 'Publish wheels',
  description:
    'Uploads wheels to a GitHub release (created when missing) with sha256 checksums and a wheel table in the release notes, and optionally as workflow artifacts; safe when matrix jobs publish to one release at once.',
  inputs: {
    wheels: {
      description:
        "Wheels to publish: paths or globs, one per line or comma-separated, or a JSON list of paths (build's `wheels` output).",
      required: true,
    },
    tag: { description: 'Tag of the release; the release is created when missing.', required: true },
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
    concurrency: {
      description: 'Uploads at once; GitHub advises against many concurrent requests.',
      default: '4',
      type: 'integer',
      min: 1,
    },
  },
  outputs: {
    'release-url': { description: 'Web page of the release (empty in a dry run when it does not exist yet).' },
    assets: {
      description: 'JSON list of the wheels: name, action (create, replace, skip, unchanged), size, sha256, url.',
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

/** What publish refuses before any request: no token, no repository. */
function checkPublish(inputs: Inputs<Input>, env: NodeJS.ProcessEnv) {
  if (inputs.string('token') === '')
    throw inputError(
      'token',
      'is empty',
      'Give a token that may write releases (contents: write); the default is the workflow token',
    );
  return repoFromEnv(env);
}

/** The step itself, with the environment and the length of a waited second given (tests shrink it). */
export async function runPublish(inputs: Inputs<Input>, ctx: Context, env: NodeJS.ProcessEnv, secondMs = 1000) {
  const repo = checkPublish(inputs, env);
  const token = inputs.string('token');
  ctx.env.secret(token);
  const tag = inputs.string('tag');
  const onConflict = inputs.choice<ConflictPolicy>('on-conflict');
  const concurrency = inputs.integer('concurrency', 1);
  const wheels = await findWheels(wheelPatterns(inputs.string('wheels')), env.GITHUB_WORKSPACE || process.cwd());
  // One report per matrix job when a single job publishes them all.
  const reported = new Map<string, string[]>();
  const cwd = env.GITHUB_WORKSPACE || process.cwd();
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
  return { 'release-url': result.releaseUrl, assets: JSON.stringify(result.assets) };
}

export const step = defineStep({
  spec,
  check: (inputs) => void checkPublish(inputs, process.env),
  run: (inputs, ctx) => runPublish(inputs, ctx, process.env),
});
