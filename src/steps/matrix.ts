import { existsSync } from 'node:fs';
import path from 'node:path';
import { ABI_CHOICES, type AbiChoice, chooseAbi, describeAbi, detectAbi, type SourceAbi } from '../abi/detect';
import { abiByHand, openSource } from '../abi/source';
import type { Context } from '../core/context';
import { defineStep, type Inputs, WORKFLOW_TOKEN } from '../core/step';
import { checkTokenTransport } from '../core/url';
import { repoFromEnv } from '../github/client';
import { GitHubReleaser } from '../github/releases';
import { collapsePlan, planFloor } from '../matrix/abi';
import { checkJobLimit, type MatrixOptions, parseMatrixOptions, planMatrix } from '../matrix/plan';
import { releaseWheels, skipPublished } from '../matrix/published';
import { ENTRY_KEYS } from '../matrix/rules';
import { planSummary } from '../matrix/summary';
import {
  DEFAULT_PACKAGE,
  PACKAGE_CHOICES,
  packageInputDescription,
  packageProfile,
  profileForSource,
  recogniseSource,
} from '../packages/profiles';
import { describeSource, loadTorchReleases, releasesOptions } from '../torch/load';
import { PYTORCH_INDEX } from '../torch/releases';

/** The inputs that say where PyTorch's releases are read (build has its own, which also say where torch comes from). */
const TORCH_INDEX_INPUTS = {
  'torch-index-url': {
    description:
      "One package index to read torch's releases from (its torch/ page, PEP 691 JSON or PEP 503 HTML), as pip's --index-url; empty: the mirror's, else PyTorch's",
    kind: 'url',
  },
  'torch-mirror-url': {
    description: `Base URL of a mirror of ${PYTORCH_INDEX} (self-hosted runners behind a proxy); empty: PyTorch's own; snapshot: no request, the embedded snapshot`,
    kind: 'url',
    keywords: ['snapshot'],
  },
} as const;

export const step = defineStep({
  spec: {
    name: 'matrix',
    title: 'Plan the build matrix',
    description:
      "Plans the strategy.matrix of a wheel release from PyTorch's package index (cached; an embedded snapshot when it cannot be read) and what the package can build",
    inputs: {
      package: {
        description: packageInputDescription(
          'What is known of the package (its CUDA and GPU limits): auto (recognised from setup.py / pyproject.toml in source, else generic; no package there: sageattention, what build makes of an empty source)',
        ),
        default: 'auto',
        choices: PACKAGE_CHOICES,
      },
      source: {
        description:
          'The package, read (never built) to recognise it with package: auto and for abi: its folder (check it out first), or a git URL, cloned shallowly without submodules',
        default: '.',
      },
      ref: { description: 'Branch, tag or commit of a git source; empty: its default branch', kind: 'git-ref' },
      abi: {
        description:
          'auto: read from source whether one wheel serves many Pythons (Py_LIMITED_API: a cp310-abi3 wheel) or many torches (TORCH_STABLE_ONLY), and plan one job for those; abi3 or stable: that much (refused if the source cannot); none: one job per Python and torch',
        default: 'auto',
        choices: ABI_CHOICES,
      },
      'torch-versions': {
        description:
          'PyTorch versions: latest, latest-N (the N newest minors), versions (2.7.1; 2.7 is its newest patch) and ranges (2.9-2.15), as PyTorch published them',
        required: true,
        kind: 'list',
      },
      'cuda-versions': {
        description:
          'CUDA versions and ranges (12.8, 12.6-13.0), or auto: every CUDA build PyTorch published of each torch',
        default: 'auto',
        kind: 'list',
      },
      'python-versions': {
        description:
          'Python versions and ranges (3.12, 3.10-3.13, a free-threaded 3.14t by name), or auto: every regular CPython PyTorch built each torch for',
        default: 'auto',
        kind: 'list',
      },
      platforms: {
        description: 'Platforms to build for: linux-x86_64, linux-aarch64, windows-x86_64',
        default: 'linux-x86_64',
        kind: 'list',
      },
      'arch-list': {
        description:
          "GPU architectures, in any spelling (8.0;8.6, 9.0 12.0, sm_90a, 12.0+PTX), checked against every CUDA; auto: each CUDA's archs the package builds (generic: PyTorch's own list)",
        default: 'auto',
        kind: 'list',
      },
      include: {
        description:
          "JSON list of objects, as GitHub's matrix include: extend planned jobs or add new ones (with keys of their own too)",
        kind: 'objects',
        keys: ENTRY_KEYS,
        otherKeys: true,
      },
      exclude: {
        description: "JSON list of objects, as GitHub's matrix exclude: drop every planned job that matches one",
        kind: 'objects',
        keys: ENTRY_KEYS,
      },
      ...TORCH_INDEX_INPUTS,
      'skip-published': {
        description:
          'A release tag: drop the jobs whose wheel is already on that release, so a rerun builds only what is missing',
        kind: 'git-ref',
      },
      token: {
        description: 'GitHub token that can read the repository releases (for skip-published)',
        default: WORKFLOW_TOKEN,
        secret: true,
      },
      'github-api-url': {
        description: 'GitHub REST API URL; defaults to the runner GITHUB_API_URL (GitHub Enterprise Server included)',
        kind: 'url',
      },
      'allow-insecure-http': {
        description:
          'Send the token over plain http to a host that is not loopback (github-api-url); otherwise such a URL is refused before any request',
        default: 'false',
      },
    },
    outputs: {
      matrix: {
        description:
          'JSON for strategy.matrix: {"include": [{python, torch, cuda, platform, arch-list, version-suffix}, ...]}; a plan collapsed by abi adds test-pythons and test-torches, what each wheel serves',
      },
      count: { description: 'Number of jobs in the matrix (0 when everything is already published)' },
    },
  },
  check: (inputs) => void githubApiUrl(inputs),
  run: async (inputs, ctx) => {
    githubApiUrl(inputs);
    const abiChoice = inputs.choice<AbiChoice>('abi');
    const opened = await openSource(inputs.string('source'), inputs.optional('ref'));
    try {
      return await planRelease(inputs, ctx, opened.dir, opened.label, abiChoice);
    } finally {
      await opened.close();
    }
  },
});

/** The REST API skip-published asks, refused before any request when it would carry the token over plain http. */
function githubApiUrl(inputs: Inputs<string>): string {
  const url = inputs.optional('github-api-url') ?? process.env.GITHUB_API_URL ?? 'https://api.github.com';
  if (inputs.optional('skip-published'))
    checkTokenTransport('github-api-url', url, inputs.boolean('allow-insecure-http'));
  return url;
}

async function planRelease(inputs: Inputs<string>, ctx: Context, dir: string, label: string, abiChoice: AbiChoice) {
  const input = inputs.string('package');
  const readable = ['setup.py', 'pyproject.toml'].some((file) => existsSync(path.join(dir, file)));
  let profile = input === 'auto' ? DEFAULT_PACKAGE : packageProfile(input);
  const notes: string[] = [];
  if (input === 'auto') {
    if (readable) {
      const recognised = await recogniseSource(dir);
      profile = recognised.profile;
      notes.push(recognised.note);
    } else {
      notes.push(
        `package: auto -> ${profile.name} (no setup.py or pyproject.toml in ${dir}: the default source's package)`,
      );
    }
  }
  // What this source's code runs on narrows what auto plans (an explicit list is checked as given).
  if (readable && inputs.string('arch-list') === 'auto') {
    const sourced = await profileForSource(profile, dir);
    profile = sourced.profile;
    if (sourced.note) notes.push(sourced.note);
  }
  const options: MatrixOptions = {
    package: profile,
    torchVersions: inputs.string('torch-versions'),
    cudaVersions: inputs.string('cuda-versions'),
    pythonVersions: inputs.string('python-versions'),
    platforms: inputs.string('platforms'),
    archList: inputs.string('arch-list'),
    include: inputs.string('include'),
    exclude: inputs.string('exclude'),
  };
  // Every input is checked before PyTorch's index or GitHub is asked anything.
  parseMatrixOptions(options);
  // An ABI the source cannot honour is refused here too.
  let detected: SourceAbi | undefined;
  if (readable && abiChoice !== 'none') {
    const read = await detectAbi(dir);
    notes.push(`ABI of ${label}: ${describeAbi(read)}`);
    detected = chooseAbi(abiChoice, read);
  }
  // Said once the inputs are known good: a bad input is the one line a failed step prints.
  for (const note of notes) ctx.log.info(note);
  const { releases, source } = await loadTorchReleases(
    releasesOptions(
      { indexUrl: inputs.optional('torch-index-url'), mirrorUrl: inputs.optional('torch-mirror-url') },
      process.env,
      ctx.log,
    ),
  );
  ctx.log.info(describeSource(source));
  let plan = planMatrix(options, releases);
  const abi = detected ?? abiByHand(abiChoice, planFloor(plan.entries));
  if (!readable && abiChoice === 'auto')
    ctx.log.info(`abi: auto, and no setup.py or pyproject.toml in ${label} to read: one job per Python and torch`);
  else if (abiChoice !== 'none') ctx.log.info(`abi: ${abiChoice}, planned for ${describeAbi(abi)}`);
  plan = collapsePlan(plan, abi);
  if (plan.collapse) ctx.log.notice(plan.collapse);
  for (const reason of plan.leftOut) ctx.log.notice(`left out: ${reason}`);
  for (const warning of plan.warnings) ctx.log.warning(warning);

  const tag = inputs.optional('skip-published');
  if (tag) {
    const repo = repoFromEnv();
    const releaser = new GitHubReleaser({
      token: inputs.string('token'),
      apiUrl: githubApiUrl(inputs),
      repo,
      write: false,
      log: ctx.log,
    });
    const wheels = await ctx.log.group(`Wheels on release ${tag} of ${repo.owner}/${repo.repo}`, async () => {
      const found = await releaseWheels(releaser, tag);
      if (found === undefined) ctx.log.info(`No release has the tag ${tag} yet: nothing is skipped.`);
      else
        ctx.log.info(
          [
            `${found.names.length} wheels${found.draft ? ' (on a draft: a publish that has not finished)' : ''}:`,
            ...found.names,
          ].join('\n'),
        );
      return found?.names ?? [];
    });
    plan = skipPublished(plan, wheels);
  }
  checkJobLimit(plan);

  const blocks = planSummary(plan, tag, describeSource(source));
  ctx.summary.push(...blocks);
  ctx.log.info(
    `Planned ${plan.entries.length} jobs (${plan.leftOut.length} left out${tag ? `, ${plan.published.length} already on ${tag}` : ''}); the job summary has the table.`,
  );
  ctx.log.debug(JSON.stringify(plan.entries));
  return { matrix: JSON.stringify({ include: plan.entries }), count: String(plan.entries.length) };
}
