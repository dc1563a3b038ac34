import { runProcess, type ProcessRunner } from '../core/exec';
import { readZip } from '../wheel/zip';

/** The file in a wheel's .dist-info that says how to build the same bytes again. */
export const PROVENANCE_FILE = 'sagewheels-build.json';

/** The build's variables that reach the compilers and linkers: each decides bytes. */
const FLAG_VARIABLES = [
  'TORCH_CUDA_ARCH_LIST',
  'NVCC_PREPEND_FLAGS',
  'NVCC_APPEND_FLAGS',
  'CFLAGS',
  'CXXFLAGS',
  'CPPFLAGS',
  'LDFLAGS',
  'CL',
  'LINK',
  'SOURCE_DATE_EPOCH',
] as const;

/**
 * What decided a wheel's bytes. Only what is the same wherever the same build runs: no runner
 * paths, host names or times beyond SOURCE_DATE_EPOCH, or the file would make the wheels differ.
 */
export interface Provenance {
  /** The folder the build worked in: nvcc's internal names follow it. */
  buildFolder: string;
  source: { url?: string; commit?: string; subdirectory?: string };
  sourceDateEpoch: number;
  toolchain: { nvcc?: string; hostCompiler?: string; python: string; torch?: string };
  /** FLAG_VARIABLES as the build had them (unset ones left out). */
  flags: Record<string, string>;
  /** The build step's flags that give this wheel again (`sagewheels build <these> --output-dir <dir>`). */
  rebuild: string[];
}

/** The flag variables of the build's environment. */
export function bytesDecidingFlags(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(FLAG_VARIABLES.filter((name) => env[name]).map((name) => [name, env[name]!]));
}

/**
 * The host compiler's version line: MSVC's from vcvars' VCToolsVersion, else the first line of
 * `$CXX --version` (the compiler setuptools and nvcc use; c++ when CXX is unset).
 */
export async function hostCompilerVersion(
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform,
  runner: ProcessRunner = runProcess,
): Promise<string | undefined> {
  if (platform === 'win32') return env.VCToolsVersion && `MSVC ${env.VCToolsVersion}`;
  const cxx = env.CXX || 'c++';
  const result = await runner(cxx, ['--version'], { env }).catch(() => undefined);
  return result?.code === 0 ? result.stdout.split('\n')[0]!.trim() || undefined : undefined;
}

/** The last commit of a source folder's own files (as sourceDateEpoch reads its time), when it is in a git checkout. */
export async function sourceCommit(dir: string, runner: ProcessRunner = runProcess): Promise<string | undefined> {
  const result = await runner('git', ['-C', dir, 'log', '-1', '--format=%H', '--', '.']).catch(() => undefined);
  const commit = result?.code === 0 ? result.stdout.trim() : '';
  return /^[0-9a-f]{40,64}$/.test(commit) ? commit : undefined;
}

/** A git URL without its user and password (a token in it must not travel with the wheel). */
export const withoutCredentials = (url: string): string => url.replace(/^([a-z+]+:\/\/)[^/@]*@/i, '$1');

/** The file's text: two-space JSON in a fixed key order, so that equal builds write equal bytes. */
export const formatProvenance = (provenance: Provenance): string => `${JSON.stringify(provenance, null, 2)}\n`;

/** A wheel's provenance, or undefined when sagewheels did not build it reproducibly. */
export async function readProvenance(wheel: string): Promise<Provenance | undefined> {
  const entry = (await readZip(wheel)).find((item) => item.name.endsWith(`.dist-info/${PROVENANCE_FILE}`));
  return entry && (JSON.parse(entry.data.toString('utf8')) as Provenance);
}
