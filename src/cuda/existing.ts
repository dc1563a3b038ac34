import { existsSync } from 'node:fs';
import path from 'node:path';
import { readFile, realpath } from 'node:fs/promises';
import { runProcess, type ProcessRunner } from '../core/exec';
import { isWindows, pathFor, toolkitLayout, type RedistPlatform } from './platform';
import type { Installed } from './request';

export interface Candidate {
  /** Where the candidate came from, for logs: "CUDA_PATH_V12_8", "/usr/local/cuda-12.8", "PATH". */
  from: string;
  nvcc: string;
}

/** Places a toolkit of this major.minor may already be, most specific first. */
export function candidates(majorMinor: string, platform: RedistPlatform, env: NodeJS.ProcessEnv): Candidate[] {
  const p = pathFor(platform);
  const exe = isWindows(platform) ? 'nvcc.exe' : 'nvcc';
  const [major, minor] = majorMinor.split('.');
  const found: Candidate[] = [];
  const versionVar = `CUDA_PATH_V${major}_${minor}`;
  if (env[versionVar]) found.push({ from: versionVar, nvcc: toolkitLayout(env[versionVar]!, platform).nvcc });
  if (isWindows(platform)) {
    const programFiles = env.ProgramFiles ?? 'C:\\Program Files';
    found.push({
      from: 'the default install folder',
      nvcc: toolkitLayout(defaultWindowsRoot(majorMinor, programFiles), platform).nvcc,
    });
  } else {
    found.push({
      from: `/usr/local/cuda-${majorMinor}`,
      nvcc: toolkitLayout(`/usr/local/cuda-${majorMinor}`, platform).nvcc,
    });
  }
  const pathVar = env.PATH ?? env.Path ?? '';
  for (const dir of pathVar.split(p.delimiter).filter(Boolean)) found.push({ from: 'PATH', nvcc: p.join(dir, exe) });
  return found;
}

/** Where NVIDIA's Windows installer puts CUDA x.y. */
export const defaultWindowsRoot = (majorMinor: string, programFiles: string): string =>
  pathFor('windows-x86_64').join(programFiles, 'NVIDIA GPU Computing Toolkit', 'CUDA', `v${majorMinor}`);

export interface Toolkit {
  root: string;
  nvcc: string;
  /** "release 13.0" in nvcc --version. */
  majorMinor: string;
  /** nvcc's own version, V13.0.88. */
  nvccVersion: string;
  /** The toolkit release from its version.json (13.0.2), when it has one. */
  release?: string;
}

/** Runs nvcc to learn what it is and where its toolkit really lives (through wrapper scripts). */
export async function probe(
  nvcc: string,
  platform: RedistPlatform,
  run: ProcessRunner = runProcess,
): Promise<Toolkit | undefined> {
  if (!existsSync(nvcc)) return undefined;
  const version = await run(nvcc, ['--version']).catch(() => undefined);
  const match = /release (\d+\.\d+), V(\d+\.\d+\.\d+)/.exec(version?.stdout ?? '');
  if (!version || version.code !== 0 || !match) return undefined;
  // --dryrun prints nvcc's settings, its real bin folder among them, without reading the input.
  const dryrun = await run(nvcc, ['--dryrun', '-c', 'sagewheels-probe.cu']).catch(() => undefined);
  const here = /^#\$ _HERE_=(.+)$/m.exec(`${dryrun?.stdout ?? ''}\n${dryrun?.stderr ?? ''}`)?.[1]?.trim();
  const p = pathFor(platform);
  const root = p.dirname(here ?? p.dirname(await realpath(nvcc)));
  return {
    root,
    nvcc: toolkitLayout(root, platform).nvcc,
    majorMinor: match[1]!,
    nvccVersion: match[2]!,
    release: await readRelease(toolkitLayout(root, platform).versionJson),
  };
}

/** NVIDIA's version.json (the installer writes it; so does a redist install here): name -> version, "cuda" the release. */
export async function readVersions(versionJson: string): Promise<Map<string, string>> {
  try {
    const json = JSON.parse(await readFile(versionJson, 'utf8')) as Record<string, { version?: unknown }>;
    return new Map(
      Object.entries(json).flatMap(([name, e]) => (typeof e?.version === 'string' ? [[name, e.version] as const] : [])),
    );
  } catch {
    return new Map();
  }
}

const readRelease = async (versionJson: string) => (await readVersions(versionJson)).get('cuda');

/** The result for a toolkit on disk, found or just installed. */
export async function toolkitResult(toolkit: Toolkit, platform: RedistPlatform): Promise<Installed> {
  const versions = await readVersions(toolkitLayout(toolkit.root, platform).versionJson);
  return {
    version: toolkit.release ?? toolkit.nvccVersion,
    majorMinor: toolkit.majorMinor,
    root: toolkit.root,
    nvcc: toolkit.nvcc,
    source: 'existing',
    cacheHit: false,
    method: 'existing',
    components: [...versions].filter(([name]) => name !== 'cuda').map(([name, version]) => ({ name, version })),
    downloadedBytes: 0,
  };
}

/** A new toolkit's nvcc must run and be the version asked for, before the toolkit is kept. */
export async function confirmNvcc(
  root: string,
  platform: RedistPlatform,
  majorMinor: string,
  run: ProcessRunner,
): Promise<Toolkit> {
  // A toolkit just installed is on this host's disk: its path is this host's, whatever the platform.
  const nvcc = toolkitLayout(root, platform, path).nvcc;
  const toolkit = await probe(nvcc, platform, run);
  if (!toolkit || toolkit.majorMinor !== majorMinor) {
    throw new Error(
      `the installed nvcc (${nvcc}) ${toolkit ? `is CUDA ${toolkit.majorMinor}, not ${majorMinor}` : 'does not run'}`,
    );
  }
  return toolkit;
}

export interface Search {
  toolkit?: Toolkit;
  /** Every toolkit seen that did not match, for the error when none does. */
  seen: string[];
}

/**
 * The first toolkit of the requested major.minor (and release, when one is named) among the
 * candidates. A named release must be confirmed by version.json; nvcc's own version does not say it.
 */
export async function findExisting(
  majorMinor: string,
  exact: string | undefined,
  platform: RedistPlatform,
  env: NodeJS.ProcessEnv,
  run: ProcessRunner = runProcess,
): Promise<Search> {
  const seen: string[] = [];
  const probed = new Set<string>();
  for (const candidate of candidates(majorMinor, platform, env)) {
    const toolkit = await probe(candidate.nvcc, platform, run);
    if (!toolkit || probed.has(toolkit.root)) continue;
    probed.add(toolkit.root);
    if (toolkit.majorMinor === majorMinor && (!exact || toolkit.release === exact)) return { toolkit, seen };
    seen.push(
      `${toolkit.release ?? toolkit.majorMinor} (nvcc ${toolkit.nvccVersion}) at ${toolkit.root} (from ${candidate.from})`,
    );
  }
  return { seen };
}
