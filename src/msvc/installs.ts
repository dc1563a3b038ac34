import { access, readdir } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage, inputError } from '../core/errors';
import type { Log } from '../core/context';
import type { ProcessRunner } from '../core/exec';
import { compareVersions } from '../core/version';
import { newestFirst, TOOLSET_FOLDER } from './toolsets';

// Everything here runs on Windows only, so paths are win32 paths whatever the host of the tests.
const win = path.win32;

/** The file system calls this module makes, so tests can describe an install without Windows. */
export interface DirReader {
  exists(file: string): Promise<boolean>;
  /** Names in a folder; none when it does not exist. */
  list(dir: string): Promise<string[]>;
}

export const nodeDirReader: DirReader = {
  exists: (file) =>
    access(file).then(
      () => true,
      () => false,
    ),
  list: (dir) => readdir(dir).catch(() => []),
};

/** What the Windows-only steps reach: processes, folders, and the environment they start from. */
export interface WindowsHost {
  runner: ProcessRunner;
  fs: DirReader;
  env: NodeJS.ProcessEnv;
}

export interface VsInstall {
  path: string;
  /** installationVersion (17.14.36310.24); only the major version (17) when found by folder. */
  version: string;
  /** "Visual Studio Community 2022 17.14.7" */
  name: string;
  prerelease: boolean;
}

/** Visual Studio product lines: the year users name, the major version, the folder it installs into. */
const PRODUCT_LINES = [
  { year: '2017', major: '15', folder: '2017' },
  { year: '2019', major: '16', folder: '2019' },
  { year: '2022', major: '17', folder: '2022' },
  { year: '2026', major: '18', folder: '18' },
];

const VS_VERSION = /^(?:latest|\d{4}|\d{2}(?:\.\d+){0,3})$/;

export const VS_VERSION_ALLOWED = `Allowed: latest, a year (${PRODUCT_LINES.map((l) => l.year).join(', ')}) or a version prefix such as 17 or 17.14`;

/** `vs-version`: latest, a year (2022), or a version prefix (17, 17.14). */
export function parseVsVersion(value: string): string {
  if (!VS_VERSION.test(value))
    throw inputError('vs-version', `"${value}" is not a Visual Studio version`, VS_VERSION_ALLOWED);
  if (/^\d{4}$/.test(value) && !PRODUCT_LINES.some((l) => l.year === value)) {
    throw inputError('vs-version', `"${value}" is not a Visual Studio year`, VS_VERSION_ALLOWED);
  }
  return value;
}

export function matchesVsVersion(install: VsInstall, vsVersion: string): boolean {
  const prefix = PRODUCT_LINES.find((l) => l.year === vsVersion)?.major ?? vsVersion;
  return vsVersion === 'latest' || install.version === prefix || install.version.startsWith(`${prefix}.`);
}

/** Releases before prereleases, then newest first. */
export const byPreference = (a: VsInstall, b: VsInstall): number =>
  Number(a.prerelease) - Number(b.prerelease) || compareVersions(b.version, a.version);

export const VC_TOOLS_COMPONENT = 'Microsoft.VisualStudio.Component.VC.Tools.x86.x64';

export const vcvarsallPath = (install: VsInstall): string =>
  win.join(install.path, 'VC', 'Auxiliary', 'Build', 'vcvarsall.bat');

interface VswhereInstance {
  installationPath: string;
  installationVersion: string;
  isPrerelease?: boolean;
  displayName?: string;
  catalog?: { productDisplayVersion?: string };
}

/** Installs that vswhere reports with the C++ x86/x64 tools, or undefined when vswhere is missing or fails. */
async function fromVswhere(host: WindowsHost, log: Log): Promise<VsInstall[] | undefined> {
  const programFilesX86 = host.env['ProgramFiles(x86)'] ?? 'C:\\Program Files (x86)';
  const vswhere = win.join(programFilesX86, 'Microsoft Visual Studio', 'Installer', 'vswhere.exe');
  if (!(await host.fs.exists(vswhere))) {
    log.info(`vswhere is not at ${vswhere}; looking in the standard folders`);
    return undefined;
  }
  const args = ['-products', '*', '-prerelease', '-requires', VC_TOOLS_COMPONENT, '-format', 'json', '-utf8'];
  const result = await host.runner(vswhere, args, { env: host.env });
  try {
    if (result.code !== 0) throw new Error(`exit code ${result.code}: ${result.stderr.trim()}`);
    const instances = JSON.parse(result.stdout) as VswhereInstance[];
    return instances.map((vs) => ({
      path: vs.installationPath,
      version: vs.installationVersion,
      name: [vs.displayName ?? 'Visual Studio', vs.catalog?.productDisplayVersion].filter(Boolean).join(' '),
      prerelease: vs.isPrerelease === true,
    }));
  } catch (error) {
    log.warning(`vswhere ${args.join(' ')} failed (${errorMessage(error)}); looking in the standard folders`);
    return undefined;
  }
}

/** Program Files\Microsoft Visual Studio\<2022|18|...>\<edition> folders that hold vcvarsall.bat. */
async function fromFolders(host: WindowsHost): Promise<VsInstall[]> {
  const roots = [
    host.env.ProgramFiles ?? 'C:\\Program Files',
    host.env['ProgramFiles(x86)'] ?? 'C:\\Program Files (x86)',
  ];
  const found: VsInstall[] = [];
  for (const root of roots) {
    for (const line of PRODUCT_LINES) {
      const lineDir = win.join(root, 'Microsoft Visual Studio', line.folder);
      for (const edition of await host.fs.list(lineDir)) {
        const install = {
          path: win.join(lineDir, edition),
          version: line.major,
          name: `Visual Studio ${edition} ${line.year}`,
          prerelease: false,
        };
        if (await host.fs.exists(vcvarsallPath(install))) found.push(install);
      }
    }
  }
  return found;
}

/** Visual Studio installs with the C++ tools, preferred first: vswhere, else the standard folders. */
export async function findVisualStudio(host: WindowsHost, log: Log): Promise<VsInstall[]> {
  const listed = await fromVswhere(host, log);
  if (listed && listed.length > 0) return listed.sort(byPreference);
  if (listed) log.info(`vswhere lists no Visual Studio with ${VC_TOOLS_COMPONENT}; looking in the standard folders`);
  return (await fromFolders(host)).sort(byPreference);
}

/** Toolsets of an install whose compiler for this host and target exists, newest first. */
export async function installedToolsets(install: VsInstall, compilerDir: string, fs: DirReader): Promise<string[]> {
  const msvc = win.join(install.path, 'VC', 'Tools', 'MSVC');
  const toolsets: string[] = [];
  for (const name of await fs.list(msvc)) {
    // A folder left by an uninstalled toolset, or one without this arch's compiler, cannot serve.
    if (TOOLSET_FOLDER.test(name) && (await fs.exists(win.join(msvc, name, compilerDir, 'cl.exe'))))
      toolsets.push(name);
  }
  return toolsets.sort(newestFirst);
}
