import { inputError } from '../core/errors';
import { majorMinor } from '../core/version';
import { type TorchReleases, torchVersionProblem } from '../torch/releases';
import type { MatrixPlatform } from '../wheel/tags';

/** The matrix platform of the machine the build runs on. */
export const matrixPlatformOf = (platform: NodeJS.Platform, arch: string = process.arch): MatrixPlatform =>
  platform === 'win32' ? 'windows-x86_64' : arch === 'arm64' ? 'linux-aarch64' : 'linux-x86_64';

/** torch: install asks for a version PyTorch published; refused with the nearest ones before anything is fetched. */
export function checkTorchVersion(releases: TorchReleases, version: string): void {
  const problem = torchVersionProblem(releases, version);
  if (problem) throw inputError('torch-version', problem.given, problem.allowed);
}

/** ...of the toolkit's CUDA, for this Python on this platform. */
export function checkTorchBuild(
  releases: TorchReleases,
  want: { version: string; cuda: string; python?: string; platform: MatrixPlatform },
): void {
  const { version, cuda, platform } = want;
  const cudas = releases.cudas(version).filter((c) => releases.platforms(version, c).includes(platform));
  if (!cudas.includes(cuda)) {
    throw inputError(
      'torch-version',
      `torch ${version} has no CUDA ${cuda} build for ${platform}`,
      `It is built for CUDA ${cudas.join(', ') || 'none'} there; pick another cuda-version or torch-version`,
    );
  }
  const pythons = releases.pythons(version, cuda, platform);
  if (want.python && !pythons.includes(majorMinor(want.python))) {
    throw inputError(
      'python',
      `torch ${version} has no wheels for Python ${want.python}`,
      `It has wheels of CUDA ${cuda} for Python ${pythons.join(', ')} on ${platform}`,
    );
  }
}
