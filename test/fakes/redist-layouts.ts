import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import yazl from 'yazl';
import type { RedistPlatform } from '../../src/cuda/platform';
import type { BuiltArchive, RedistTree } from './redist';

/**
 * Small archives laid out as NVIDIA's redist archives are, for any release and platform: the name
 * and folder from the real manifest's relative_path (<component>-<platform>-<version>-archive/),
 * and inside it the folders of the real archives, with stand-in contents of a few bytes.
 *  - Linux .tar.xz (GNU tar, directory entries, modes): lib/ with versioned .so chains
 *    (libcudart.so -> libcudart.so.12 -> libcudart.so.12.8.90), lib/stubs/libcuda.so, lib/cmake/,
 *    pkg-config/; nvvm/lib64 for libnvvm.
 *  - Windows .zip (directory entries): lib/x64/*.lib; DLLs in bin/ up to CUDA 12, in bin/x64/ from
 *    CUDA 13 (nvvm64_40_0.dll in nvvm/bin, then nvvm/bin/x64).
 *  - CUDA 12: nvvm and crt inside cuda_nvcc, CCCL in include/; CUDA 13: cuda_crt and libnvvm of
 *    their own, CCCL in include/cccl/ (nvcc.profile adds it with -isystem).
 * nvcc is a shell script standing in for the binary this machine cannot run (another version,
 * aarch64 or Windows): it answers --version as nvcc does and --dryrun with its _HERE_ line.
 */

const run = promisify(execFile);

interface Item {
  path: string;
  data?: string;
  link?: string;
  executable?: boolean;
}

const stub = (what: string) => `stands in for ${what} in sagewheels' tests\n`;

function nvccScript(version: string): string {
  const [major, minor] = version.split('.');
  return [
    '#!/bin/sh',
    `# ${stub(`nvcc ${version}`).trim()}`,
    'here=$(cd "$(dirname "$0")" && pwd)',
    'case "$1" in',
    `  --version) printf 'nvcc: NVIDIA (R) Cuda compiler driver\\nCopyright (c) 2005-2026 NVIDIA Corporation\\nCuda compilation tools, release ${major}.${minor}, V${version}\\n' ;;`,
    '  --dryrun) echo "#\\$ _HERE_=$here" >&2 ;;',
    '  *) echo "nvcc stand-in: only --version and --dryrun" >&2; exit 1 ;;',
    'esac',
    '',
  ].join('\n');
}

const NVCC_PROFILE = `
TOP              = $(_HERE_)/..

CICC_PATH        = $(TOP)/nvvm/bin
NVVMIR_LIBRARY_DIR = $(TOP)/nvvm/libdevice

LD_LIBRARY_PATH += $(TOP)/lib:
PATH            += $(CICC_PATH):$(_HERE_):

INCLUDES        +=  "-I$(TOP)/$(_TARGET_DIR_)/include" $(_SPACE_)

LIBRARIES        =+ $(_SPACE_) "-L$(TOP)/$(_TARGET_DIR_)/lib$(_TARGET_SIZE_)/stubs" "-L$(TOP)/$(_TARGET_DIR_)/lib$(_TARGET_SIZE_)"

CUDAFE_FLAGS    +=
PTXAS_FLAGS     +=
`;

interface Where {
  windows: boolean;
  /** The CUDA release's major (12 or 13). */
  cuda: number;
  /** The component's version (12.8.90), which its library names carry. */
  version: string;
}

const exe = (w: Where, name: string) => (w.windows ? `${name}.exe` : name);

/** A shared library as each platform ships it: the .so chain and static archive, or import library and DLL. */
function library(w: Where, name: string, opts: { stubs?: string[]; soVersion?: string } = {}): Item[] {
  const soVersion = opts.soVersion ?? w.version;
  const major = soVersion.split('.')[0];
  if (w.windows) {
    const dlls = w.cuda >= 13 ? 'bin/x64' : 'bin';
    return [
      { path: `lib/x64/${name}.lib`, data: stub(`${name}.lib`) },
      { path: `${dlls}/${name}64_${major}.dll`, data: stub(`${name}64_${major}.dll`) },
    ];
  }
  return [
    { path: `lib/lib${name}.so.${soVersion}`, data: stub(`lib${name}.so.${soVersion}`) },
    { path: `lib/lib${name}.so.${major}`, link: `lib${name}.so.${soVersion}` },
    { path: `lib/lib${name}.so`, link: `lib${name}.so.${major}` },
    { path: `lib/lib${name}_static.a`, data: stub(`lib${name}_static.a`) },
  ];
}

const headers = (...names: string[]): Item[] => names.map((n) => ({ path: `include/${n}`, data: stub(n) }));

function nvvm(w: Where): Item[] {
  const items: Item[] = [
    { path: `nvvm/bin/${exe(w, 'cicc')}`, data: stub('cicc'), executable: true },
    { path: 'nvvm/include/nvvm.h', data: stub('nvvm.h') },
    { path: 'nvvm/libdevice/libdevice.10.bc', data: stub('libdevice.10.bc') },
  ];
  if (w.windows) {
    items.push({ path: `nvvm/bin/${w.cuda >= 13 ? 'x64/' : ''}nvvm64_40_0.dll`, data: stub('nvvm64_40_0.dll') });
    items.push({ path: 'nvvm/lib/x64/nvvm.lib', data: stub('nvvm.lib') });
  } else {
    items.push(
      { path: 'nvvm/lib64/libnvvm.so.4.0.0', data: stub('libnvvm.so.4.0.0') },
      { path: 'nvvm/lib64/libnvvm.so.4', link: 'libnvvm.so.4.0.0' },
      { path: 'nvvm/lib64/libnvvm.so', link: 'libnvvm.so.4' },
    );
  }
  return items;
}

const crt = (): Item[] => headers('crt/host_config.h', 'crt/host_defines.h', 'crt/math_functions.h');

function contents(component: string, w: Where, release: string): Item[] {
  const [major, minor] = release.split('.');
  switch (component) {
    case 'cuda_nvcc':
      return [
        { path: `bin/${exe(w, 'nvcc')}`, data: nvccScript(w.version), executable: true },
        { path: 'bin/nvcc.profile', data: NVCC_PROFILE },
        ...['ptxas', 'fatbinary', 'nvlink', 'cudafe++', 'bin2c'].map((t) => ({
          path: `bin/${exe(w, t)}`,
          data: stub(t),
          executable: true,
        })),
        ...headers('fatbinary_section.h', 'nvPTXCompiler.h'),
        {
          path: w.windows ? 'lib/x64/nvptxcompiler_static.lib' : 'lib/libnvptxcompiler_static.a',
          data: stub('nvptxcompiler'),
        },
        ...(w.cuda < 13 ? [...crt(), ...nvvm(w)] : []),
      ];
    case 'cuda_crt':
      return crt();
    case 'libnvvm':
      return nvvm(w);
    case 'cuda_cudart':
      return [
        ...headers('cuda_runtime.h', 'cuda_runtime_api.h', 'cuda.h', 'driver_types.h'),
        ...library(w, 'cudart'),
        ...(w.windows
          ? ['cudart_static', 'cuda', 'cudadevrt'].map((l) => ({ path: `lib/x64/${l}.lib`, data: stub(`${l}.lib`) }))
          : [
              { path: 'lib/libcudadevrt.a', data: stub('libcudadevrt.a') },
              { path: 'lib/stubs/libcuda.so', data: stub('libcuda.so (stub)') },
              { path: `pkg-config/cudart-${major}.${minor}.pc`, data: stub('cudart.pc') },
              { path: `pkg-config/cuda-${major}.${minor}.pc`, data: stub('cuda.pc') },
            ]),
      ];
    case 'cuda_cccl': {
      const at = w.cuda >= 13 ? 'cccl/' : '';
      return [
        ...headers(`${at}cuda/std/type_traits`, `${at}thrust/version.h`, `${at}cub/version.cuh`, `${at}nv/target`),
        ...['cccl', 'cub', 'thrust', 'libcudacxx'].map((c) => ({
          path: `lib/cmake/${c}/${c}-config.cmake`,
          data: stub(`${c}-config.cmake`),
        })),
      ];
    }
    case 'cuda_tileiras':
      return [{ path: `bin/${exe(w, 'tileiras')}`, data: stub('tileiras'), executable: true }];
    case 'libcublas':
      return [
        ...headers('cublas_v2.h', 'cublas_api.h', 'cublasLt.h'),
        ...library(w, 'cublas'),
        ...library(w, 'cublasLt'),
      ];
    case 'libcusparse':
      return [...headers('cusparse.h'), ...library(w, 'cusparse')];
    case 'libcusolver':
      return [...headers('cusolverDn.h', 'cusolver_common.h'), ...library(w, 'cusolver')];
    case 'libcurand':
      return [...headers('curand.h', 'curand_kernel.h'), ...library(w, 'curand')];
    default:
      throw new Error(`no layout for ${component}`);
  }
}

type Manifest = Record<string, Record<string, unknown>>;

/**
 * A tree of the given components for a release and platform, with the real manifest (from
 * test/fixtures/cuda-redist) whose entries for those components describe the archives made here.
 */
export async function buildLayoutTree(
  fixtures: string,
  release: string,
  platform: RedistPlatform,
  components: readonly string[],
  out: string,
): Promise<RedistTree> {
  const manifest = JSON.parse(await readFile(path.join(fixtures, `redistrib_${release}.json`), 'utf8')) as Manifest;
  const archives: BuiltArchive[] = [];
  for (const component of components) {
    const entry = manifest[component]!;
    const listed = entry[platform] as { relative_path: string };
    const version = entry.version as string;
    const where: Where = { windows: platform === 'windows-x86_64', cuda: Number(release.split('.')[0]), version };
    const relativePath = listed.relative_path;
    const top = path.posix.basename(relativePath).replace(/\.(tar\.xz|zip)$/, '');
    const items = [...contents(component, where, release), { path: 'LICENSE', data: stub(`${component}'s license`) }];
    const file = path.join(out, relativePath);
    await mkdir(path.dirname(file), { recursive: true });
    if (where.windows) await writeArchiveZip(file, top, items);
    else await writeArchiveTarXz(file, path.join(out, 'work', `${component}-${platform}`), top, items);
    const data = await readFile(file);
    const built = {
      component,
      version,
      relativePath,
      file,
      sha256: createHash('sha256').update(data).digest('hex'),
      md5: createHash('md5').update(data).digest('hex'),
      size: data.length,
    };
    archives.push(built);
    entry[platform] = { relative_path: relativePath, sha256: built.sha256, md5: built.md5, size: String(built.size) };
  }
  return { release, platform, archives, manifest: `${JSON.stringify(manifest, null, 4)}\n` };
}

async function writeArchiveTarXz(file: string, work: string, top: string, items: Item[]): Promise<void> {
  for (const item of items) {
    const target = path.join(work, top, item.path);
    await mkdir(path.dirname(target), { recursive: true });
    if (item.link) await symlink(item.link, target);
    else {
      await writeFile(target, item.data ?? '');
      await chmod(target, item.executable ? 0o755 : 0o644);
    }
  }
  await run('bash', [
    '-c',
    'set -o pipefail; tar -C "$1" --owner=0 --group=0 --numeric-owner --sort=name -cf - "$2" | xz -0 > "$3"',
    'bash',
    work,
    top,
    file,
  ]);
}

async function writeArchiveZip(file: string, top: string, items: Item[]): Promise<void> {
  const zip = new yazl.ZipFile();
  const folders = new Set<string>([top]);
  for (const item of items) {
    const parts = `${top}/${item.path}`.split('/').slice(0, -1);
    parts.forEach((_, i) => folders.add(parts.slice(0, i + 1).join('/')));
  }
  const mtime = new Date('2026-01-01T00:00:00Z');
  for (const folder of [...folders].sort()) zip.addEmptyDirectory(`${folder}/`, { mtime });
  for (const item of items) {
    zip.addBuffer(Buffer.from(item.data ?? ''), `${top}/${item.path}`, {
      mtime,
      mode: 0o100000 | (item.executable ? 0o755 : 0o644),
    });
  }
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(file));
}
