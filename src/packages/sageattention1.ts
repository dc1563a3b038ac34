import { normalizedProject } from './facts';
import type { PackageProfile } from './profile';

/** SageAttention 1.x: Triton kernels only, a pure-Python wheel (thu-ml/SageAttention branch sageattention-1). */
export const sageattention1: PackageProfile = {
  name: 'sageattention1',
  summary: 'SageAttention 1.x (Triton only: a py3-none-any wheel, no nvcc)',
  gpuCode: false,
  importName: 'sageattention',
  defaultSource: 'https://github.com/thu-ml/SageAttention.git',
  defaultRef: 'sageattention-1',
  recognise: (source) => normalizedProject(source.project) === 'sageattention' && !!source.version?.startsWith('1.'),
  runtime: { function: 'sageattn', layout: 'HND', minCosine: 0.99 },
};
