import { ConfigurationError } from '../core/errors';
import type { ProcessRunner } from '../core/exec';
import { inspectPython, type PythonInfo } from '../python/interpreter';

/**
 * Where an image keeps Python `version` ("3.12"): manylinux's /opt/python/cp312-cp312 (and the
 * free-threaded cp313-cp313t is not it), then python3.12 on the image's PATH.
 */
export const imagePythonCandidates = (version: string): string[] => {
  const tag = `cp${version.replace('.', '')}`;
  return [`/opt/python/${tag}-${tag}/bin/python`, `python${version}`];
};

/**
 * `python` of the build, looked up in the image: a path there, or a version found there. The
 * host cannot read the image's files, so the standard library's bundled wheels are left to the
 * image's own ensurepip.
 */
export async function findImagePython(spec: string, image: string, run: ProcessRunner): Promise<PythonInfo> {
  const candidates = spec.includes('/') ? [spec] : /^3\.\d+$/.test(spec) ? imagePythonCandidates(spec) : undefined;
  if (!candidates)
    throw new ConfigurationError(`python: "${spec}" is neither an interpreter path nor a version like 3.12`);
  for (const candidate of candidates) {
    const info = await inspectPython(candidate, run);
    if (info && (candidate === spec || info.version.startsWith(`${spec}.`)))
      return { ...info, stdlib: undefined, wheelPkgDir: undefined };
  }
  throw new ConfigurationError(
    `python: no Python ${spec} in the image ${image} (looked at ${candidates.join(', ')}). Give an interpreter path inside the image, or an image that has Python ${spec}`,
  );
}
