import { archName } from '../arch/arch';
import { normalizedProject } from './facts';
import type { PackageProfile } from './profile';

/**
 * FlashAttention 2 (Dao-AILab/flash-attention). Its setup.py takes archs from
 * FLASH_ATTN_CUDA_ARCHS ("80;90"), not TORCH_CUDA_ARCH_LIST, and downloads a prebuilt wheel
 * instead of compiling unless FLASH_ATTENTION_FORCE_BUILD is TRUE.
 */
export const flashAttn: PackageProfile = {
  name: 'flash-attn',
  summary: 'FlashAttention 2 (Dao-AILab/flash-attention: FLASH_ATTN_CUDA_ARCHS, always compiled)',
  minCuda: '12.0',
  // sm_80 SASS also runs on 8.6 and 8.9.
  archs: { '8.0': '12.0', '9.0': '12.0', '10.0': '12.8', '12.0': '12.8' },
  importName: 'flash_attn',
  defaultSource: 'https://github.com/Dao-AILab/flash-attention.git',
  recognise: (source) => normalizedProject(source.project) === 'flash-attn',
  runtime: { function: 'flash_attn_func', layout: 'NHD', minCosine: 0.99 },
  prepareBuild: ({ archs }) => {
    const value = archs.map((arch) => archName(arch).replace('.', '')).join(';');
    return {
      env: { FLASH_ATTN_CUDA_ARCHS: value, FLASH_ATTENTION_FORCE_BUILD: 'TRUE' },
      notes: [
        `FLASH_ATTN_CUDA_ARCHS=${value} (its setup.py ignores TORCH_CUDA_ARCH_LIST); FLASH_ATTENTION_FORCE_BUILD=TRUE`,
      ],
    };
  },
};
