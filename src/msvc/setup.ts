import type { Log, SummaryBlock } from '../core/context';
import { appendFlags } from '../core/flags';
import { chooseToolset, type InstallToolsets, type MsvcChoice, type MsvcRequest } from './choose';
import { environmentChanges, lookup, type EnvChanges } from './environment';
import {
  findVisualStudio,
  installedToolsets,
  parseVsVersion,
  vcvarsallPath,
  type VsInstall,
  type WindowsHost,
} from './installs';
import { parseCudaVersion, UNSUPPORTED_COMPILER_FLAGS } from './nvcc';
import { mscVer, parseToolsetInput } from './toolsets';
import { compilerDir, parseArch, runVcvarsall, type VcArch } from './vcvars';

export interface MsvcInputs {
  arch: string;
  vsVersion: string;
  toolset?: string;
  cudaVersion?: string;
  allowUnsupportedCompiler: boolean;
}

export interface MsvcOptions {
  arch: VcArch;
  request: MsvcRequest;
}

/** Every input checked, on every platform, before anything runs. */
export function parseMsvcInputs(inputs: MsvcInputs): MsvcOptions {
  return {
    arch: parseArch(inputs.arch),
    request: {
      vsVersion: parseVsVersion(inputs.vsVersion),
      toolset: inputs.toolset === undefined ? undefined : parseToolsetInput(inputs.toolset),
      cudaVersion: inputs.cudaVersion === undefined ? undefined : parseCudaVersion(inputs.cudaVersion),
      allowUnsupportedCompiler: inputs.allowUnsupportedCompiler,
    },
  };
}

export interface MsvcSetup {
  install: VsInstall;
  /** VCToolsVersion as vcvarsall set it: 14.44.35207 */
  toolsetVersion: string;
  mscVer: number;
  choice: MsvcChoice;
  /** What the job's later steps get; nothing is exported yet. */
  changes: EnvChanges;
}

/** Finds Visual Studio, picks the toolset, runs vcvarsall and works out the environment to export. */
export async function setupMsvc({ arch, request }: MsvcOptions, host: WindowsHost, log: Log): Promise<MsvcSetup> {
  const archText = `${arch.host}-hosted ${arch.target} compiler (${compilerDir(arch)}\\cl.exe)`;
  const found = await log.group('Visual Studio installs', async () => {
    const result: InstallToolsets[] = [];
    for (const install of await findVisualStudio(host, log)) {
      const toolsets = await installedToolsets(install, compilerDir(arch), host.fs);
      log.info(
        `${install.name} (${install.version}) at ${install.path}: ${toolsets.length > 0 ? toolsets.join(', ') : `no toolset with the ${archText}`}`,
      );
      result.push({ install, toolsets });
    }
    return result;
  });
  const choice = chooseToolset(found, request, archText);
  log.info(`Using ${choice.install.name}, toolset ${choice.toolset ?? '(its default)'}: ${choice.reason}`);

  const run = await runVcvarsall(vcvarsallPath(choice.install), arch, choice.toolset, host, log);
  const toolsetVersion = run.after.get('VCTOOLSVERSION')?.value ?? '';
  if (!toolsetVersion || (choice.toolset && toolsetVersion !== choice.toolset)) {
    throw new Error(
      `vcvarsall.bat set VCToolsVersion to "${toolsetVersion}", not the toolset ${choice.toolset ?? 'it was asked for'}`,
    );
  }
  const changes = environmentChanges(run.before, run.after, host.env);
  // PyTorch's cpp_extension refuses to build on Windows with vcvars set up unless told so.
  changes.set.DISTUTILS_USE_SDK = '1';
  if (choice.unsupported) {
    changes.set.NVCC_APPEND_FLAGS = appendFlags(lookup(host.env, 'NVCC_APPEND_FLAGS'), UNSUPPORTED_COMPILER_FLAGS);
    log.warning(
      `MSVC ${toolsetVersion} (_MSC_VER ${mscVer(toolsetVersion)}) is not supported by CUDA ${request.cudaVersion}'s nvcc, which accepts ${choice.range!.min}-${choice.range!.max}: ` +
        `allow-unsupported-compiler set NVCC_APPEND_FLAGS="${changes.set.NVCC_APPEND_FLAGS}". The build may fail or miscompile; install a supported toolset to be safe`,
    );
  }
  return { install: choice.install, toolsetVersion, mscVer: mscVer(toolsetVersion), choice, changes };
}

/** The job summary: what was chosen and why, and what the job's later steps now have. */
export function summaryBlocks(setup: MsvcSetup, { arch, request }: MsvcOptions): SummaryBlock[] {
  const { range, unsupported, reason } = setup.choice;
  const cuda = range
    ? `${request.cudaVersion}: nvcc accepts _MSC_VER ${range.min}-${range.max}${unsupported ? ', unsupported toolset allowed' : ''}`
    : 'not given';
  return [
    { kind: 'heading', text: 'setup-msvc' },
    {
      kind: 'table',
      header: ['MSVC', 'set up'],
      rows: [
        ['Visual Studio', `${setup.install.name} (${setup.install.version})`],
        ['Folder', setup.install.path],
        ['Toolset', `${setup.toolsetVersion} (_MSC_VER ${setup.mscVer})`],
        ['Architecture', arch.name],
        ['CUDA', cuda],
        ['Why this toolset', reason],
      ],
    },
    {
      kind: 'details',
      label: `Environment: ${Object.keys(setup.changes.set).length} variables set, ${setup.changes.path.length} folders put first on PATH`,
      body: [...Object.keys(setup.changes.set).sort(), ...setup.changes.path.map((folder) => `PATH += ${folder}`)].join(
        '\n',
      ),
    },
  ];
}
