import type { PackageProfile } from './profile';

/** Any PyTorch CUDA extension: nothing assumed beyond PyTorch and CUDA. */
export const generic: PackageProfile = {
  name: 'generic',
  summary: 'any PyTorch CUDA extension: every module with GPU code must serve every arch',
  recognise: () => false,
};
