import { runChecked, runProcess, type ProcessRunner } from '../core/exec';
import type { Log } from '../core/context';
import { normalizeProject } from '../wheel/name';

export interface BuildRequirement {
  /** As written in pyproject.toml: "setuptools>=62,<75" */
  requirement: string;
  name: string;
  /** The version the build environment has, if any. */
  installed?: string;
  satisfied: boolean;
}

// Runs inside the build venv: pip's own vendored packaging and tomli keep it free of imports
// the venv may not have. Without [build-system], pip's legacy default applies.
const PROBE = String.raw`
import json, os, sys
try:
    import tomllib
except ImportError:
    from pip._vendor import tomli as tomllib
from importlib.metadata import PackageNotFoundError, version
from pip._vendor.packaging.requirements import Requirement
requires = ["setuptools>=40.8.0", "wheel"]
pyproject = os.path.join(sys.argv[1], "pyproject.toml")
if os.path.exists(pyproject):
    with open(pyproject, "rb") as f:
        requires = tomllib.load(f).get("build-system", {}).get("requires", requires)
for extra in sys.argv[2:]:
    requires.append(extra)
out = []
for text in requires:
    req = Requirement(text)
    if req.marker is not None and not req.marker.evaluate():
        continue
    try:
        have = version(req.name)
    except PackageNotFoundError:
        have = None
    ok = have is not None and req.specifier.contains(have, prereleases=True)
    out.append({"requirement": text, "name": req.name, "installed": have, "satisfied": ok})
print(json.dumps(out))
`;

/** The source's build requirements (plus `extra`), each with what the venv already has. */
export async function readBuildRequirements(
  python: string,
  sourceDir: string,
  extra: readonly string[] = [],
  runner: ProcessRunner = runProcess,
): Promise<BuildRequirement[]> {
  const result = await runChecked(python, ['-c', PROBE, sourceDir, ...extra], {}, runner);
  const rows = JSON.parse(result.stdout.trim().split('\n').pop() ?? '[]') as (BuildRequirement & {
    installed: string | null;
  })[];
  return rows.map((row) => ({ ...row, installed: row.installed ?? undefined }));
}

/**
 * The rule, the same offline and online: a requirement the environment meets is used; one it
 * lacks, or has at another version, is installed with pip (a venv's own setuptools 58 must not
 * stand in for `setuptools>=61`: it builds `UNKNOWN-0.0.0`). When pip cannot (no network, no such
 * version), the build goes on with a warning and with what is there; build then checks that the
 * wheel carries the project's name and version. torch is never installed here: the torch input
 * decides it.
 */
export async function provideBuildRequirements(
  python: string,
  requirements: readonly BuildRequirement[],
  log: Log,
  runner: ProcessRunner = runProcess,
): Promise<void> {
  const missing: BuildRequirement[] = [];
  for (const req of requirements) {
    if (req.satisfied) continue;
    if (normalizeProject(req.name) === 'torch') {
      if (req.installed)
        log.warning(
          `pyproject.toml asks for ${req.requirement}; building with torch ${req.installed}, as the torch input says`,
        );
      continue;
    }
    missing.push(req);
  }
  if (missing.length === 0) return;
  const described = missing.map(({ requirement, name, installed }) =>
    installed ? `${requirement} (the venv has ${name} ${installed})` : requirement,
  );
  log.info(`installing build requirement${missing.length > 1 ? 's' : ''} ${described.join(', ')}`);
  // All in one pip run (each run costs pip's start and resolution); when that fails, one at a
  // time, so one that cannot be had (offline, unknown) does not keep the others out.
  const all = missing.map((m) => m.requirement);
  if (missing.length > 1 && (await pipInstall(python, all, runner)).code === 0) return;
  for (const { requirement, name, installed } of missing) {
    const result = await pipInstall(python, [requirement], runner);
    if (result.code !== 0) {
      const why =
        `${result.stdout}\n${result.stderr}`
          .split('\n')
          .filter((line) => /error/i.test(line))
          .pop()
          ?.trim() ?? `pip exited with ${result.code}`;
      log.warning(
        `could not install build requirement ${requirement} (${why}); ${installed ? `building with ${name} ${installed} as it is` : 'building without it'}`,
      );
    }
  }
}

// Few retries: on a runner without network each one only delays the build.
const pipInstall = (python: string, requirements: readonly string[], runner: ProcessRunner) =>
  runner(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--retries', '1', ...requirements]);

/** What pyproject.toml's [project] says the wheel must be called: name, and version unless dynamic. */
export interface ProjectIdentity {
  name?: string;
  version?: string;
}

const IDENTITY_PROBE = String.raw`
import json, os, sys
try:
    import tomllib
except ImportError:
    from pip._vendor import tomli as tomllib
out = {}
pyproject = os.path.join(sys.argv[1], "pyproject.toml")
if os.path.exists(pyproject):
    with open(pyproject, "rb") as f:
        project = tomllib.load(f).get("project", {})
    out = {k: project[k] for k in ("name", "version") if isinstance(project.get(k), str)}
print(json.dumps(out))
`;

export async function readProjectIdentity(
  python: string,
  sourceDir: string,
  runner: ProcessRunner = runProcess,
): Promise<ProjectIdentity> {
  const result = await runChecked(python, ['-c', IDENTITY_PROBE, sourceDir], {}, runner);
  return JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}') as ProjectIdentity;
}
