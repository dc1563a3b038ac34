import { ConfigurationError, inputError } from '../core/errors';
import { inRange, nvccMsvcRange, type MsvcRange } from './nvcc';
import { matchesVsVersion, VC_TOOLS_COMPONENT, VS_VERSION_ALLOWED, type VsInstall } from './installs';
import { mscVer, newestShippedToolset, toolsetMatches } from './toolsets';

export interface MsvcRequest {
  /** latest, a year (2022) or a version prefix (17, 17.14) */
  vsVersion: string;
  /** 14.NN or 14.NN.BBBBB */
  toolset?: string;
  cudaVersion?: string;
  allowUnsupportedCompiler: boolean;
}

export interface InstallToolsets {
  install: VsInstall;
  /** Newest first; only those with the compiler for the requested arch. */
  toolsets: string[];
}

export interface MsvcChoice {
  install: VsInstall;
  /** The toolset folder to pass to vcvarsall; undefined leaves Visual Studio's default. */
  toolset?: string;
  /** What nvcc accepts, when a CUDA version was given. */
  range?: MsvcRange;
  /** The toolset is outside `range`, and allow-unsupported-compiler lets it through. */
  unsupported: boolean;
  reason: string;
}

const label = (c: { install: VsInstall; toolset: string }): string => `${c.toolset} (${c.install.name})`;
const rangeText = (range: MsvcRange): string =>
  `_MSC_VER ${range.min}-${range.max} (MSVC toolsets 14.${range.min - 1900}-14.${range.max - 1900})`;

/**
 * Picks the Visual Studio install and MSVC toolset: among installs that match vs-version (preferred
 * first), the toolset asked for, or with a CUDA version the newest toolset its nvcc accepts, or
 * else Visual Studio's default. Every way this can fail is a ConfigurationError that says what to do.
 */
export function chooseToolset(found: readonly InstallToolsets[], request: MsvcRequest, archText: string): MsvcChoice {
  if (found.length === 0) {
    throw new ConfigurationError(
      `No Visual Studio with the C++ build tools was found (vswhere -requires ${VC_TOOLS_COMPONENT}, then the standard folders). Install Visual Studio 2022 or later, or its Build Tools, with the "Desktop development with C++" workload`,
    );
  }
  const installs = found.filter(({ install }) => matchesVsVersion(install, request.vsVersion));
  if (installs.length === 0) {
    throw inputError(
      'vs-version',
      `"${request.vsVersion}" matches none of the installs found: ${found.map(({ install }) => `${install.name} (${install.version})`).join(', ')}`,
      VS_VERSION_ALLOWED,
    );
  }
  const candidates = installs
    .flatMap(({ install, toolsets }) => toolsets.map((toolset) => ({ install, toolset })))
    // Highest _MSC_VER first; the sort is stable, so among equals the preferred install, then the newer build, stays first.
    .sort((a, b) => mscVer(b.toolset) - mscVer(a.toolset));
  if (candidates.length === 0) {
    throw inputError(
      'arch',
      `no MSVC toolset of ${installs.map(({ install }) => install.name).join(', ')} has the ${archText}`,
      'Install the C++ build tools for that architecture, or choose another arch',
    );
  }
  const foundText = candidates.map(label).join(', ');
  const wanted = request.toolset;
  const pool = wanted ? candidates.filter((c) => toolsetMatches(c.toolset, wanted)) : candidates;
  if (wanted && pool.length === 0) {
    const shipped = newestShippedToolset(mscVer(wanted), mscVer(wanted));
    throw inputError(
      'toolset',
      `"${wanted}" is not installed (found ${foundText})`,
      `Install it${shipped ? ` with the Visual Studio Installer component ${shipped.component}` : ''}, or leave toolset empty`,
    );
  }

  if (!request.cudaVersion) {
    if (wanted)
      return {
        install: pool[0]!.install,
        toolset: pool[0]!.toolset,
        unsupported: false,
        reason: `toolset ${wanted} as asked`,
      };
    const install = installs.find(({ toolsets }) => toolsets.length > 0)!.install;
    return {
      install,
      unsupported: false,
      reason: `the default toolset of the preferred Visual Studio (no cuda-version given)`,
    };
  }

  const cuda = request.cudaVersion;
  const range = nvccMsvcRange(cuda);
  const accepted = pool.filter((c) => inRange(mscVer(c.toolset), range));
  if (accepted.length > 0) {
    const choice = accepted[0]!;
    return {
      ...choice,
      range,
      unsupported: false,
      reason: `the newest ${wanted ? `${wanted} ` : ''}toolset CUDA ${cuda}'s nvcc accepts (${rangeText(range)})`,
    };
  }
  if (request.allowUnsupportedCompiler) {
    const choice = pool[0]!;
    return {
      ...choice,
      range,
      unsupported: true,
      reason: `allow-unsupported-compiler: CUDA ${cuda}'s nvcc accepts ${rangeText(range)} and no installed toolset is in it`,
    };
  }
  if (wanted) {
    throw inputError(
      'toolset',
      `${label(pool[0]!)} has _MSC_VER ${mscVer(pool[0]!.toolset)}, which CUDA ${cuda}'s nvcc rejects: it accepts ${rangeText(range)}`,
      'Choose a toolset in that range, or set allow-unsupported-compiler: true',
    );
  }
  const suggested = newestShippedToolset(range.min, range.max);
  throw inputError(
    'cuda-version',
    `CUDA ${cuda}'s nvcc accepts ${rangeText(range)}, and none is installed (found ${foundText})`,
    `Install MSVC toolset ${suggested ? `${suggested.toolset} (Visual Studio Installer component ${suggested.component})` : `14.${range.max - 1900}`}, or set allow-unsupported-compiler: true to build with an unsupported one`,
  );
}
