import { inputError } from '../core/errors';
import { majorMinor } from '../core/version';
import { type TorchReleases, torchVersionProblem } from '../torch/releases';
import type { TorchInfo, TorchRule } from '../python/venv';
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

/** torch must be a CUDA build of the toolkit's major: PyTorch refuses to build extensions across majors. */
export function checkTorch(
  torch: TorchInfo | undefined,
  asked: { torch: TorchRule; torchVersion?: string },
  nvcc: string,
): void {
  if (!torch) return;
  if (!torch.cuda) {
    throw inputError(
      'torch',
      `torch ${torch.version} is a CPU build`,
      'CUDA extensions need a CUDA build of torch (torch: install takes it from the CUDA index)',
    );
  }
  if (torch.cuda.split('.')[0] !== nvcc.split('.')[0]) {
    throw inputError(
      'cuda-version',
      `torch ${torch.version} was built with CUDA ${torch.cuda}, but nvcc is CUDA ${nvcc}`,
      `PyTorch refuses to build extensions across CUDA major versions: set up CUDA ${torch.cuda.split('.')[0]}.x, or use torch built for CUDA ${nvcc.split('.')[0]}`,
    );
  }
  if (asked.torch === 'preinstalled' && asked.torchVersion && torch.version.split('+')[0] !== asked.torchVersion) {
    throw inputError(
      'torch-version',
      `"${asked.torchVersion}" was asked, but the interpreter has torch ${torch.version}`,
      'Leave torch-version empty with torch: preinstalled, or use torch: install',
    );
  }
}
