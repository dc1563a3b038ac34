import { chmod, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { inputError } from '../core/errors';
import { runProcess, type ProcessRunner } from '../core/exec';
import { urlSecrets } from '../core/secrets';
import { shownUrl } from '../core/url';
import { atLeast } from '../core/version';
import { which } from './which';

export interface Ccache {
  path: string;
  version: string;
}

/** A program on the PATH of `env` where the build runs (the runner, or its container). */
export type Lookup = (name: string, env: NodeJS.ProcessEnv) => Promise<string | undefined>;
const onRunner: Lookup = (name, env) => Promise.resolve(which(name, env));

/** ccache 4+ (nvcc support, base_dir for nvcc, the stats log), or why not. */
export async function findCcache(
  env: NodeJS.ProcessEnv,
  runner: ProcessRunner = runProcess,
  lookup: Lookup = onRunner,
): Promise<Ccache | string> {
  const found = await lookup('ccache', env);
  if (!found) return 'no ccache on PATH';
  const result = await runner(found, ['--version']).catch(() => undefined);
  const version = /ccache version (\d+\.\d+(?:\.\d+)?)/.exec(result?.stdout ?? '')?.[1];
  if (!version) return `${found} did not report its version`;
  if (!atLeast(version, '4.0')) return `${found} is ccache ${version}; nvcc caching needs 4.0 or newer`;
  return { path: found, version };
}

/** `auto`: CCACHE_DIR when the runner sets one, else a folder in the home directory, which self-hosted runners keep. */
export function cacheDir(input: string, env: NodeJS.ProcessEnv): string {
  if (input !== 'auto') return path.resolve(input);
  return env.CCACHE_DIR || path.join(env.HOME || env.USERPROFILE || os.homedir(), '.cache', 'sagewheels', 'ccache');
}

/** A ccache remote storage backend: its URL as given, as it may be shown, and the parts to mask. */
export interface RemoteStore {
  url: string;
  /** The URL with its password and bearer token replaced by ***. */
  shown: string;
  secrets: string[];
}

const REMOTE_SCHEMES = /^(?:redis:\/\/|redis\+unix:|http:\/\/|file:)/;

/**
 * compile-cache-url: ccache's remote_storage, one or several backends separated by spaces or
 * newlines (not commas: ccache's shards attribute lists its shards with them), each a URL with
 * optional |attributes. The password of redis://[[USER:]PASSWORD@]HOST and http://USER:PASSWORD@HOST,
 * and a bearer-token attribute, are secrets.
 */
export function remoteStores(input: string): RemoteStore[] {
  return input
    .split(/\s+/)
    .filter(Boolean)
    .map((url) => {
      if (!REMOTE_SCHEMES.test(url)) {
        const scheme = /^[a-z][a-z0-9+.-]*:(?=\/\/)/i.exec(url)?.[0];
        throw inputError(
          'compile-cache-url',
          scheme ? `"${scheme}" is not a ccache remote storage` : `"${shownUrl(url)}" is not a URL`,
          'Allowed: redis://[[USER:]PASSWORD@]HOST[:PORT][/DB], redis+unix:SOCKET, http://HOST[:PORT]/PATH (a server taking GET and PUT) or file:/shared/folder, several separated by spaces, each with optional |attributes',
        );
      }
      // redis:// takes a lone password before "@"; http:// a user and a password; |bearer-token= a token.
      const secrets = urlSecrets(url);
      return { url, shown: secrets.reduce((text, secret) => text.split(secret).join('***'), url), secrets };
    });
}

/** ccache 4.4 added remote storage, as secondary_storage; 4.7 renamed it remote_storage and kept the old name. */
export const REMOTE_STORAGE_SINCE = '4.4';
const remoteStorageVariable = (version: string): string =>
  atLeast(version, '4.7') ? 'CCACHE_REMOTE_STORAGE' : 'CCACHE_SECONDARY_STORAGE';

export interface CacheWiring {
  /** Variables to set for the build. */
  env: Record<string, string>;
  /** A folder to put first on PATH (host compilers that are ccache), if any. */
  binDir?: string;
  /** What is cached and what is not, for the log. */
  notes: string[];
  /** Remote storage is wired in. */
  remote: boolean;
}

const quoteIfSpaced = (file: string): string => (/\s/.test(file) ? `"${file}"` : file);
const shellQuote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

/**
 * A runner that sets CXX (an image whose compiler is /opt/gcc/bin/g++, say) keeps it: a script of
 * the same name runs it through ccache. PyTorch compiles .cpp files with $CXX, and checks the
 * compiler by its name, so the script is named like the compiler.
 */
async function wrapCxx(ccache: Ccache, cxx: string, workRoot: string): Promise<string> {
  const dir = path.join(workRoot, 'ccache-cxx');
  const script = path.join(dir, path.basename(cxx));
  await mkdir(dir, { recursive: true });
  await writeFile(script, `#!/bin/sh\nexec ${shellQuote(ccache.path)} ${shellQuote(cxx)} "$@"\n`);
  await chmod(script, 0o755);
  return script;
}

/**
 * Wires ccache into a build under `workRoot`:
 * - nvcc through PYTORCH_NVCC, which PyTorch writes verbatim into its ninja file ("ccache nvcc").
 * - the host compilers (Linux) through a folder of ccache links named gcc, g++, cc and c++ first
 *   on PATH. CC is left alone on purpose: PyTorch passes $CC to nvcc as -ccbin, and "ccache gcc"
 *   there breaks nvcc. nvcc's own host passes get NVCC_CCBIN, the real gcc, so they are not
 *   cached twice (nvcc runs them on temporary files that never hit).
 * - base_dir is the work root, so paths of the fresh source copy and venv hash alike build to build,
 *   and the reproducible builds' -ffile-prefix-map (which names that root) is left out of the hash.
 * - nvcc also reads NVCC_APPEND_FLAGS/NVCC_PREPEND_FLAGS, which ccache does not hash: a file with
 *   their values (and the host compiler's) joins every hash, or a changed flag would hit a stale object.
 * - PyTorch's nvcc dependency flags (--generate-dependencies-with-compile in older releases) make
 *   ccache refuse to cache; every build here starts from a fresh tree, so the .d files are not needed.
 * - remote storage is read after the local cache misses and written on every miss; a store that
 *   is down costs each compile a failed connection (100 ms at most), never the compile.
 */
export async function wireCcache(
  ccache: Ccache,
  options: {
    dir: string;
    workRoot: string;
    nvcc: string;
    buildEnv: NodeJS.ProcessEnv;
    platform?: NodeJS.Platform;
    /** Remote storage behind the local cache (ccache 4.4+). */
    remote?: readonly RemoteStore[];
  },
  runner: ProcessRunner = runProcess,
  lookup: Lookup = (name, env) => Promise.resolve(which(name, env, options.platform)),
): Promise<CacheWiring> {
  const platform = options.platform ?? process.platform;
  const base = options.buildEnv;
  const env: Record<string, string> = {
    CCACHE_DIR: options.dir,
    CCACHE_BASEDIR: options.workRoot,
    CCACHE_NOHASHDIR: '1',
    // The copy and the venv are seconds old; without this ccache would skip its direct mode for them.
    CCACHE_SLOPPINESS: 'include_file_mtime,include_file_ctime',
    CCACHE_STATSLOG: path.join(options.workRoot, 'ccache-stats.log'),
    // The prefix map names the work root, which differs build to build, and maps it to one path:
    // the objects are the same whatever the root, so the option must not split the hash.
    CCACHE_IGNOREOPTIONS: '-ffile-prefix-map=* -Xcompiler=-ffile-prefix-map=*',
    TORCH_EXTENSION_SKIP_NVCC_GEN_DEPENDENCIES: '1',
  };
  const notes: string[] = [];
  const remote = options.remote ?? [];
  let remoteWired = false;
  if (remote.length > 0) {
    const shown = remote.map((store) => store.shown).join(' ');
    if (atLeast(ccache.version, REMOTE_STORAGE_SINCE)) {
      env[remoteStorageVariable(ccache.version)] = remote.map((store) => store.url).join(' ');
      remoteWired = true;
      notes.push(`remote storage ${shown} behind the local cache`);
    } else {
      notes.push(
        `remote storage ${shown} not used: ccache ${ccache.version} has none (it needs ${REMOTE_STORAGE_SINCE} or newer); compiling with the local cache only`,
      );
    }
  }
  if (base.PYTORCH_NVCC) {
    notes.push(
      `PYTORCH_NVCC is already set ("${base.PYTORCH_NVCC}"): nvcc is run as given, not through sagewheels' ccache`,
    );
  } else {
    env.PYTORCH_NVCC = `${quoteIfSpaced(ccache.path)} ${quoteIfSpaced(options.nvcc)}`;
    notes.push(`nvcc through ${ccache.path}`);
  }
  let binDir: string | undefined;
  let hostCompiler = base.CC;
  if (platform === 'win32') {
    notes.push('MSVC compiles are not cached');
  } else if (base.CC || base.CXX) {
    const cxx = base.CXX && !/\s/.test(base.CXX) ? await lookup(base.CXX, base) : undefined;
    if (cxx) {
      env.CXX = await wrapCxx(ccache, cxx, options.workRoot);
      notes.push(`C++ compiles through ccache (CXX=${base.CXX}); C compiles use CC as given, uncached`);
    } else {
      notes.push('CC/CXX are set: host compiles use them as given, uncached');
    }
  } else {
    hostCompiler = await lookup('gcc', base);
    binDir = path.join(options.workRoot, 'ccache-bin');
    await mkdir(binDir, { recursive: true });
    for (const name of ['gcc', 'g++', 'cc', 'c++']) await symlink(ccache.path, path.join(binDir, name));
    if (hostCompiler && !base.NVCC_CCBIN) env.NVCC_CCBIN = hostCompiler;
    notes.push('host C/C++ compiles through ccache (gcc, g++, cc, c++)');
  }
  const nvccHost = env.NVCC_CCBIN ?? base.NVCC_CCBIN ?? hostCompiler ?? '';
  const hostVersion = nvccHost
    ? ((await runner(nvccHost, ['--version']).catch(() => undefined))?.stdout.split('\n')[0] ?? '')
    : '';
  const fingerprint = path.join(options.workRoot, 'ccache-env.txt');
  // The work root is in the flags that map it out of the binaries; it differs build to build.
  const unrooted = (flags = '') => flags.split(options.workRoot).join('<work>');
  await writeFile(
    fingerprint,
    [
      `NVCC_PREPEND_FLAGS=${unrooted(base.NVCC_PREPEND_FLAGS)}`,
      `NVCC_APPEND_FLAGS=${unrooted(base.NVCC_APPEND_FLAGS)}`,
      `host=${nvccHost} ${hostVersion}`,
    ].join('\n') + '\n',
  );
  env.CCACHE_EXTRAFILES = fingerprint;
  return { env, binDir, notes, remote: remoteWired };
}

export interface CacheStats {
  /** Local and remote hits together. */
  hits: number;
  /** Hits read from remote storage (the local cache had missed). */
  remoteHits: number;
  /** Calls whose remote storage failed (refused, timed out, an error): they compiled or hit locally. */
  remoteErrors: number;
  misses: number;
  /** Calls ccache passed through: links, preprocessing, options it cannot cache. */
  uncached: number;
  /** Why calls went uncached, counted ("called_for_link": 4). */
  reasons: Record<string, number>;
}

const HIT = new Set(['direct_cache_hit', 'preprocessed_cache_hit']);
// ccache before 4.7 said secondary where it now says remote.
const REMOTE_HIT = /^(?:remote|secondary)_storage_hit$/;
const REMOTE_ERROR = /^(?:remote|secondary)_storage_(?:error|timeout)$/;

/**
 * This build's own counts, from the stats log ccache appends to (one "# <source>" line, then
 * the counters that call moved); the cache's global counters would mix in other builds.
 */
export function parseStatsLog(text: string): CacheStats {
  const stats: CacheStats = { hits: 0, remoteHits: 0, remoteErrors: 0, misses: 0, uncached: 0, reasons: {} };
  for (const entry of text.split(/^# /m).slice(1)) {
    const counters = entry
      .split('\n')
      .slice(1)
      .map((line) => line.trim())
      .filter(Boolean);
    if (counters.some((c) => REMOTE_ERROR.test(c))) stats.remoteErrors++;
    if (counters.some((c) => HIT.has(c))) {
      stats.hits++;
      if (counters.some((c) => REMOTE_HIT.test(c))) stats.remoteHits++;
    } else if (counters.includes('cache_miss')) stats.misses++;
    else {
      stats.uncached++;
      for (const reason of counters) stats.reasons[reason] = (stats.reasons[reason] ?? 0) + 1;
    }
  }
  return stats;
}

/** "14 hits (2 local, 12 remote), 0 misses": local and remote hits apart when there is remote storage. */
export function describeCacheStats(stats: CacheStats, remote: boolean): string {
  const hits = remote
    ? `${stats.hits} hits (${stats.hits - stats.remoteHits} local, ${stats.remoteHits} remote)`
    : `${stats.hits} hits`;
  return `${hits}, ${stats.misses} misses${stats.uncached ? `, ${stats.uncached} not cacheable` : ''}`;
}

export async function readCacheStats(wiring: CacheWiring): Promise<CacheStats> {
  const file = wiring.env.CCACHE_STATSLOG;
  return parseStatsLog(file ? await readFile(file, 'utf8').catch(() => '') : '');
}

/** The compile cache for one build, or why there is none (the note says which, for the log). */
export async function setUpCache(
  input: string,
  remote: readonly RemoteStore[],
  env: NodeJS.ProcessEnv,
  work: string,
  nvcc: string,
  platform: NodeJS.Platform,
  /** Where the build runs: its programs and their lookup. */
  place: { run: ProcessRunner; which: Lookup },
): Promise<{ wiring?: CacheWiring; note: string }> {
  if (input === 'off') return { note: 'off (compile-cache: off)' };
  const ccache = await findCcache(env, place.run, place.which);
  if (typeof ccache === 'string')
    return { note: `uncached: ${ccache}. Install ccache 4+ on the runner to cache compiles between builds` };
  const dir = cacheDir(input, env);
  await mkdir(dir, { recursive: true });
  const wiring = await wireCcache(
    ccache,
    { dir, workRoot: work, nvcc, buildEnv: env, platform, remote },
    place.run,
    place.which,
  );
  return { wiring, note: `ccache ${ccache.version} in ${dir}: ${wiring.notes.join('; ')}` };
}
