import { describe, expect, it } from 'vitest';
import { torchExtensionComponents } from '../../src/cuda/components';
import {
  chooseInstaller,
  installerUrls,
  linuxInstallerArgs,
  parseMd5sums,
  windowsInstallerArgs,
  windowsToolkitComponents,
} from '../../src/cuda/installer';
import { NVIDIA_REDIST } from '../../src/cuda/setup';

// The shape of NVIDIA's <version>/docs/sidebar/md5sum.txt: every file of the release, installers included.
const md5sums = [
  '0f2c5dd0ba3bd5b3e4bd1e5d8ae2f2b1  cuda_12.8.1_570.124.06_linux.run',
  '1a2b3c4d5e6f708192a3b4c5d6e7f809  cuda_12.8.1_570.124.06_linux_sbsa.run',
  '9e8d7c6b5a4f30211f2e3d4c5b6a7988  cuda_12.8.1_572.61_windows.exe',
  'aabbccddeeff00112233445566778899  cuda_12.8.1_windows_network.exe',
  'ffeeddccbbaa99887766554433221100  cuda-repo-ubuntu2404-12-8-local_12.8.1-570.124.06-1_amd64.deb',
  '',
].join('\n');

describe('the installer method: finding and checking the installer', () => {
  it('looks beside the redist tree, as NVIDIA lays out its download server', () => {
    const urls = installerUrls(NVIDIA_REDIST, '12.8.1');
    expect(urls.md5sums).toBe('https://developer.download.nvidia.com/compute/cuda/12.8.1/docs/sidebar/md5sum.txt');
    expect(urls.file('cuda_12.8.1_572.61_windows.exe')).toBe(
      'https://developer.download.nvidia.com/compute/cuda/12.8.1/local_installers/cuda_12.8.1_572.61_windows.exe',
    );
  });

  it('picks the local installer for each platform from md5sum.txt, with its md5', () => {
    const sums = parseMd5sums(md5sums);
    expect(chooseInstaller(sums, '12.8.1', 'linux-x86_64')).toEqual({
      name: 'cuda_12.8.1_570.124.06_linux.run',
      md5: '0f2c5dd0ba3bd5b3e4bd1e5d8ae2f2b1',
    });
    expect(chooseInstaller(sums, '12.8.1', 'linux-sbsa').name).toBe('cuda_12.8.1_570.124.06_linux_sbsa.run');
    expect(chooseInstaller(sums, '12.8.1', 'windows-x86_64').name).toBe('cuda_12.8.1_572.61_windows.exe');
  });

  it('says which installers exist when none fits', () => {
    expect(() => chooseInstaller(parseMd5sums(md5sums), '12.8.0', 'linux-x86_64')).toThrow(
      'method: installer: NVIDIA lists no CUDA 12.8.0 installer for linux-x86_64. Installers listed: cuda_12.8.1_570.124.06_linux.run, cuda_12.8.1_570.124.06_linux_sbsa.run, cuda_12.8.1_572.61_windows.exe, cuda_12.8.1_windows_network.exe',
    );
  });
});

describe('the installer method: command lines', () => {
  it('runs the Linux runfile for the toolkit alone, into our folder, without root', () => {
    expect(linuxInstallerArgs('/t/cuda.run', '/cache/cuda-installer/12.8.1/linux-x86_64', '/t/tmp')).toEqual([
      '/t/cuda.run',
      '--silent',
      '--toolkit',
      '--toolkitpath=/cache/cuda-installer/12.8.1/linux-x86_64',
      '--no-man-page',
      '--override',
      '--tmpdir=/t/tmp',
    ]);
  });

  it('names the Windows sub-packages of 12.x: nvcc carries crt and nvvm there', () => {
    expect(windowsInstallerArgs(torchExtensionComponents(12, 'windows-x86_64'), '12.8')).toEqual([
      '-s',
      'nvcc_12.8',
      'cudart_12.8',
      'thrust_12.8',
      'cublas_12.8',
      'cublas_dev_12.8',
      'cusparse_12.8',
      'cusparse_dev_12.8',
      'cusolver_12.8',
      'cusolver_dev_12.8',
      'curand_12.8',
      'curand_dev_12.8',
    ]);
  });

  it('adds crt and nvvm for 13.x, which split them out of nvcc', () => {
    const args = windowsInstallerArgs(torchExtensionComponents(13, 'windows-x86_64'), '13.0');
    expect(args.slice(0, 6)).toEqual(['-s', 'nvcc_13.0', 'cudart_13.0', 'thrust_13.0', 'crt_13.0', 'nvvm_13.0']);
    expect(windowsInstallerArgs(windowsToolkitComponents(12), '12.8')).not.toContain('crt_12.8');
    expect(windowsInstallerArgs(windowsToolkitComponents(13), '13.0')).toContain('nvvm_13.0');
    expect(windowsInstallerArgs(windowsToolkitComponents(13), '13.0').join(' ')).not.toMatch(/driver|nsight/i);
    // tileiras (cuTile's Tile IR assembler) is an installer sub-package from CUDA 13.1 on.
    expect(windowsInstallerArgs(windowsToolkitComponents(13, 0), '13.0')).not.toContain('tileiras_13.0');
    expect(windowsInstallerArgs(windowsToolkitComponents(13, 2), '13.2')).toContain('tileiras_13.2');
  });

  it('refuses components the Windows installer cannot select', () => {
    expect(() => windowsInstallerArgs(['cuda_nvcc', 'nsight_systems'], '12.8')).toThrow(
      /^components: nsight_systems cannot be chosen in NVIDIA's Windows installer/,
    );
  });
});
