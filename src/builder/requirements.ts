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
 * has at another version is kept, with a warning (a build without isolation uses what is there,
 * and a runner without network could not replace it); one it lacks is installed with pip, and
 * when that fails the build goes on with a warning. torch is never installed here: the torch
 * input decides it.
 */
export async function provideBuildRequirements(
  python: string,
  requirements: readonly BuildRequirement[],
  log: Log,
  runner: ProcessRunner = runProcess,
): Promise<void> {
  const missing: string[] = [];
  for (const req of requirements) {
    if (req.satisfied) continue;
    if (normalizeProject(req.name) === 'torch') {
      if (req.installed)
        log.warning(
          `pyproject.toml asks for ${req.requirement}; building with torch ${req.installed}, as the torch input says`,
        );
      continue;
    }
    if (req.installed) {
      log.warning(
        `build requirement ${req.requirement}: ${req.name} ${req.installed} is installed and is used as it is`,
      );
    } else {
      missing.push(req.requirement);
    }
  }
  if (missing.length === 0) return;
  log.info(`installing build requirement${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  // All in one pip run (each run costs pip's start and resolution); when that fails, one at a
  // time, so one that cannot be had (offline, unknown) does not keep the others out.
  if (missing.length > 1 && (await pipInstall(python, missing, runner)).code === 0) return;
  for (const requirement of missing) {
    const result = await pipInstall(python, [requirement], runner);
    if (result.code !== 0) {
      const why =
        `${result.stdout}\n${result.stderr}`
          .split('\n')
          .filter((line) => /error/i.test(line))
          .pop()
          ?.trim() ?? `pip exited with ${result.code}`;
      log.warning(`could not install build requirement ${requirement} (${why}); building without it`);
    }
  }
}

// Few retries: on a runner without network each one only delays the build.
const pipInstall = (python: string, requirements: readonly string[], runner: ProcessRunner) =>
  runner(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--retries', '1', ...requirements]);
