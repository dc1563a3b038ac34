import path from 'node:path';
import { normalizeVersion } from './integrity';
import { normalizeProject, parseWheelName } from './name';

/**
 * Why a freshly built wheel is not the project's, or undefined: setuptools that did not read
 * pyproject.toml's [project] (older than 61) writes `UNKNOWN-0.0.0` and exits 0.
 */
export function identityProblem(file: string, project: { name?: string; version?: string }): string | undefined {
  const wheel = parseWheelName(path.basename(file));
  const built = `${wheel.distribution} ${wheel.version}`;
  if (normalizeProject(wheel.distribution) === 'unknown') {
    return `the wheel is ${path.basename(file)}: the build backend did not read the project's name and version (a setuptools older than the project's build requirement?)`;
  }
  if (project.name && normalizeProject(project.name) !== normalizeProject(wheel.distribution)) {
    return `the wheel is ${built}, but pyproject.toml names the project ${project.name}`;
  }
  const version = wheel.version.split('+')[0]!;
  if (project.version && normalizeVersion(project.version) !== normalizeVersion(version)) {
    return `the wheel is ${built}, but pyproject.toml gives version ${project.version}`;
  }
  return undefined;
}
