import { type Arch, archName, compareArchs, formatArch, formatArchList } from '../arch/arch';
import { ConfigurationError } from '../core/errors';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { normalizedProject } from './facts';
import type { BuildAdjustments, BuildHookContext, PackageProfile, RouteTable } from './profile';

/**
 * The GPUs each kernel module serves: sageattn() dispatches on
 * torch.cuda.get_device_capability() (sm80 -> _qattn_sm80; sm86 -> Triton; sm89, sm120,
 * sm121 -> _qattn_sm89; sm90 -> _qattn_sm90), and every path quantizes through _fused.
 */
const KERNELS: Readonly<Record<string, readonly string[]>> = {
  _qattn_sm80: ['8.0'],
  _qattn_sm89: ['8.9', '12.0', '12.1'],
  _qattn_sm90: ['9.0'],
};
/** Modules whose code exists on one GPU only (wgmma: sm_90a); any other arch fails in ptxas. */
const ONLY: ReadonlySet<string> = new Set(['_qattn_sm90']);
const EVERY_GPU = '_fused';

const ARCHS = {
  '8.0': '12.0',
  '8.6': '12.0',
  '8.9': '12.4',
  '9.0': '12.3',
  '10.0': '12.8',
  '12.0': '12.8',
  '12.1': '12.9',
};

/**
 * Whether this SageAttention setup.py compiles its _qattn_sm90 module with the flags every other
 * module gets (thu-ml main: one NVCC_FLAGS list with a -gencode per arch) rather than flags of
 * its own (woct0rdho: get_nvcc_flags(["9.0"])). Read from the text, so forks are judged by
 * what they do, not by their URL.
 */
export function sm90SharesArchs(setupPy: string): boolean {
  const match = /_qattn_sm90["'][\s\S]{0,1000}?["']nvcc["']\s*:\s*([^,}\n]+)/.exec(setupPy);
  return match !== null && /^[A-Za-z_]\w*$/.test(match[1]!.trim());
}

/** Each CUDAExtension(name="...", sources=[...]) of a setup.py whose name and sources are literals. */
export function extensionSources(setupPy: string): { module: string; sources: string[] }[] {
  const found: { module: string; sources: string[] }[] = [];
  const pattern = /CUDAExtension\(\s*name\s*=\s*["']([\w.]+)["']\s*,\s*sources\s*=\s*\[([^\]]*)\]/g;
  for (const match of setupPy.matchAll(pattern)) {
    const sources = [...match[2]!.matchAll(/["']([^"']+)["']/g)].map((m) => m[1]!);
    found.push({ module: match[1]!, sources });
  }
  return found;
}

/** The archs a module compiles: those it serves; one that serves none of them still has to build and import. */
function moduleArchs(leaf: string, archs: readonly Arch[]): Arch[] {
  if (leaf === EVERY_GPU) return [...archs];
  const served = KERNELS[leaf] ?? [];
  const own = archs.filter((arch) => served.includes(archName(arch)));
  if (own.length > 0 || ONLY.has(leaf)) return own;
  // The lowest arch above what the module serves (its instructions exist there), else the highest asked.
  const floor = served.map((gpu) => Number(gpu)).sort((a, b) => a - b)[0] ?? 0;
  const sorted = [...archs].sort(compareArchs);
  return [sorted.find((arch) => arch.major + arch.minor / 10 >= floor) ?? sorted[sorted.length - 1]!];
}

/**
 * thu-ml's setup.py gives every module every arch's -gencode, and _qattn_sm90 (wgmma) cannot
 * take anything but sm_90a. sagewheels' nvcc wrapper gives each module's sources only the
 * archs that module serves, as woct0rdho's setup.py does itself.
 */
async function prepare(context: BuildHookContext): Promise<BuildAdjustments> {
  const setupPy = context.source.setupPy ?? '';
  const { archs } = context;
  if (archs.length < 2 || !sm90SharesArchs(setupPy)) return { notes: [] };
  const extensions = extensionSources(setupPy);
  const routable = extensions.length > 0 && extensions.every((e) => e.sources.length > 0);
  if (!routable) {
    const others = archs.filter((arch) => !(arch.major === 9 && arch.minor === 0));
    if (others.length === archs.length) return { notes: [] };
    throw new ConfigurationError(
      `arch-list: ${formatArchList(archs)} cannot be built together from this source: its setup.py compiles the ` +
        `_qattn_sm90 module (wgmma, sm_90a only) for every arch in the list, and sagewheels cannot tell which sources ` +
        `make which module (no CUDAExtension(name=..., sources=[...]) with literal names), so ptxas would fail on ${others.map(formatArch).join(', ')}. ` +
        'Build 9.0 in a job of its own, leave 9.0 out, or use a source that gives each module its own archs (woct0rdho/SageAttention)',
    );
  }
  const routes: RouteTable = extensions.map(({ module, sources }) => ({
    module,
    sources,
    archs: moduleArchs(module.split('.').pop()!, archs).map(archName),
  }));
  return {
    routeArchs: routes,
    notes: [
      `this setup.py gives every module every arch; sagewheels' nvcc wrapper gives each its own: ${routes
        .map((r) => `${r.module.split('.').pop()} ${r.archs.join(', ') || 'none'}`)
        .join('; ')}`,
    ],
  };
}

/**
 * The GPUs sageattn() has a path for in this source: its core.py compares the capability with
 * "sm80", "sm120", ... (thu-ml main raises "Unsupported CUDA architecture" on sm100; woct0rdho
 * sends it to _qattn_sm89).
 */
async function dispatchedArchs(dir: string): Promise<string[] | undefined> {
  const core = await readFile(path.join(dir, 'sageattention', 'core.py'), 'utf8').catch(() => undefined);
  if (!core) return undefined;
  return Object.keys(ARCHS).filter((gpu) => core.includes(`"sm${gpu.replace('.', '')}"`));
}

/** SageAttention 2.x: thu-ml/SageAttention and its forks (woct0rdho's abi3 and stable-ABI branches too). */
export const sageattention: PackageProfile = {
  name: 'sageattention',
  summary: 'SageAttention 2.x (thu-ml/SageAttention and forks: which module runs on which GPU, and its dispatcher)',
  minCuda: '12.0',
  archs: ARCHS,
  importName: 'sageattention',
  defaultSource: 'https://github.com/thu-ml/SageAttention.git',
  recognise: (source) => normalizedProject(source.project) === 'sageattention' && !source.version?.startsWith('1.'),
  modulesFor: (gpu) => [
    `sageattention.${EVERY_GPU}`,
    ...Object.entries(KERNELS)
      .filter(([, gpus]) => gpus.includes(gpu))
      .map(([leaf]) => `sageattention.${leaf}`),
  ],
  dispatcher: 'sageattn',
  cxx20: true,
  // Measured 0.9993 against SDPA on an H100 (fp16, 2x16x4096x128).
  runtime: { function: 'sageattn', layout: 'HND', minCosine: 0.99 },
  sourceArchs: dispatchedArchs,
  prepareBuild: prepare,
};
