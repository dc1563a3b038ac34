import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { engineFix } from '../../src/container/fixes';
import { containerPlatformTag } from '../../src/container/floor';
import { chooseImage } from '../../src/container/image';
import { imagePythonCandidates } from '../../src/container/interpreter';
import { execArgs, readContainerOptions, runArgs } from '../../src/container/run-args';
import { passedThrough } from '../../src/container/session';
import { Inputs } from '../../src/core/step';
import { step } from '../../src/steps/build';

describe('chooseImage', () => {
  it("auto is pypa's manylinux_2_28 of the job's arch on Linux, the host elsewhere; none the host", () => {
    expect(chooseImage('auto', 'linux', 'x64')).toBe('quay.io/pypa/manylinux_2_28_x86_64');
    expect(chooseImage('auto', 'linux', 'arm64')).toBe('quay.io/pypa/manylinux_2_28_aarch64');
    expect(chooseImage('auto', 'win32', 'x64')).toBeUndefined();
    expect(chooseImage('none', 'linux', 'x64')).toBeUndefined();
    expect(chooseImage('pytorch/manylinux2_28-builder:cuda13.0', 'linux', 'x64')).toBe(
      'pytorch/manylinux2_28-builder:cuda13.0',
    );
  });

  it('refuses what is not one image name, and an image on Windows, before anything runs', async () => {
    expect(() => chooseImage('img --privileged', 'linux', 'x64')).toThrow(
      /^container: "img --privileged" is not an image name\. Allowed: auto, none/,
    );
    expect(() => chooseImage('img', 'win32', 'x64')).toThrow(/^container: "img" on win32\./);
    await expect(
      Promise.resolve().then(() => step.check!(new Inputs(step.spec, { container: 'a b', torch: 'none' }))),
    ).rejects.toThrow(/^container: /);
  });
});

describe('run and exec arguments', () => {
  it("mounts each folder once at its own path, read-only where asked, and puts the user's options last", () => {
    expect(
      runArgs({
        engine: 'podman',
        image: 'img',
        name: 'n',
        mounts: [{ path: '/tmp/r' }, { path: '/usr/local/cuda-13.0', readOnly: true }, { path: '/tmp/r' }],
        extra: readContainerOptions(' --memory 8g  --volume /d:/d:ro '),
      }),
    ).toEqual([
      'run',
      '--detach',
      '--rm',
      '--name',
      'n',
      '--network',
      'host',
      '--volume',
      '/tmp/r:/tmp/r',
      '--volume',
      '/usr/local/cuda-13.0:/usr/local/cuda-13.0:ro',
      '--memory',
      '8g',
      '--volume',
      '/d:/d:ro',
      '--entrypoint',
      'sleep',
      'img',
      'infinity',
    ]);
  });

  it("passes only what differs from the image's environment, and a secret's value never as an argument", () => {
    fc.assert(
      fc.property(
        // Any password a URL's user information can hold (RFC 3986: unreserved, sub-delims, %XX).
        fc.stringMatching(/^[\w.~%!$&'()*+,;=-]+$/),
        (password) => {
          const { args, env } = execArgs({
            name: 'n',
            command: 'python',
            args: ['-V'],
            cwd: '/w',
            env: {
              PATH: '/v/bin:/usr/bin',
              HOME: '/root',
              CCACHE_REMOTE_STORAGE: `redis://:${password}@h`,
              MAX_JOBS: '4',
              PIP_INDEX_URL: `https://me:${password}@pypi.example/simple`,
            },
            imageEnv: { PATH: '/usr/bin', HOME: '/root' },
            engineEnv: { PATH: '/host/bin' },
          });
          expect(args).toEqual([
            'exec',
            '--workdir',
            '/w',
            '--env',
            'PATH=/v/bin:/usr/bin',
            '--env',
            'CCACHE_REMOTE_STORAGE',
            '--env',
            'MAX_JOBS=4',
            '--env',
            'PIP_INDEX_URL',
            'n',
            'python',
            '-V',
          ]);
          expect(env).toEqual({
            PATH: '/host/bin',
            CCACHE_REMOTE_STORAGE: `redis://:${password}@h`,
            PIP_INDEX_URL: `https://me:${password}@pypi.example/simple`,
          });
          expect(args.join(' ')).not.toContain(`:${password}@`);
        },
      ),
    );
  });

  it("hands pip's, ccache's and nvcc's settings into the container, not the runner's PATH, HOME or toolkit", () => {
    expect(
      passedThrough({
        PATH: '/x',
        HOME: '/h',
        CUDA_HOME: '/c',
        PIP_INDEX_URL: 'u',
        CCACHE_MAXSIZE: '5G',
        NVCC_APPEND_FLAGS: '-O3',
        https_proxy: 'p',
      }),
    ).toEqual({ PIP_INDEX_URL: 'u', CCACHE_MAXSIZE: '5G', NVCC_APPEND_FLAGS: '-O3', https_proxy: 'p' });
  });
});

describe('in the image', () => {
  it("looks for 3.12 where manylinux keeps it, then on the image's PATH", () => {
    expect(imagePythonCandidates('3.12')).toEqual(['/opt/python/cp312-cp312/bin/python', 'python3.12']);
  });

  it("platform-tag auto is the newest policy the image's glibc meets; any other input stays", () => {
    expect(containerPlatformTag('auto', '2.28', 'x86_64')).toBe('manylinux_2_28');
    expect(containerPlatformTag('auto', '2.31', 'x86_64')).toBe('manylinux_2_31');
    expect(containerPlatformTag('auto', '2.33', 'aarch64')).toBe('manylinux_2_31');
    expect(containerPlatformTag('manylinux_2_17', '2.31', 'x86_64')).toBe('manylinux_2_17');
  });

  it('names the fix for what the engine said', () => {
    expect(engineFix(['podman'], 'error setting rlimit type 7: operation not permitted')).toMatch(
      /^Give containers limits.*default_ulimits/,
    );
    expect(engineFix(['podman'], 'cannot set up cgroup')).toContain('cgroup_manager = "cgroupfs"');
    expect(engineFix(['podman'], 'something new')).toBe(
      'Make "podman run" work for the runner\'s user, or build on the host with container: none (the wheel then needs the host\'s glibc)',
    );
  });
});
