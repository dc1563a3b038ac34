import { type Arch, archName } from './arch';

/** The GPUs of linux aarch64 machines; the CUDA each arch needs is in arch.ts (Thor 13.0, GB10 12.9). */
export const AARCH64_GPUS: readonly { gpu: string; arch: string }[] = [
  { gpu: 'A100 (Arm servers)', arch: '8.0' },
  { gpu: 'GH200', arch: '9.0' },
  { gpu: 'GB200', arch: '10.0' },
  // CUDA 13 renamed Thor's sm_101 to sm_110.
  { gpu: 'Jetson Thor', arch: '11.0' },
  { gpu: 'GB10 (DGX Spark)', arch: '12.1' },
];

/** The archs of a list that some aarch64 GPU is: the rest is dead weight in an aarch64 wheel. */
export const aarch64Archs = (archs: readonly Arch[]): Arch[] =>
  archs.filter((arch) => AARCH64_GPUS.some((gpu) => gpu.arch === archName(arch)));
