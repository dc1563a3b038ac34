import { mkdtemp, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseInputFlags } from '../../src/core/args';
import { ConfigurationError } from '../../src/core/errors';
import { Inputs, inputType, type Step } from '../../src/core/step';
import { checkTokenTransport } from '../../src/core/url';
import { repoFromEnv } from '../../src/github/client';
import { findPython } from '../../src/python/interpreter';
import { step as build } from '../../src/steps/build';
import { step as matrix } from '../../src/steps/matrix';
import { step as publish } from '../../src/steps/publish';

const read = (step: Step, raw: Record<string, string>) => new Inputs(step.spec, raw, {});
const refusal = (step: Step, raw: Record<string, string>): string => {
  try {
    read(step, raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error(`${JSON.stringify(raw)} was accepted`);
};

describe('values by kind, refused when the inputs are read', () => {
  it('tags and refs git would refuse', () => {
    for (const tag of ['../x', 'v 1', 'a..b', 'v1~', 'v1\nfoo=bar', 'x.lock', 'a@{1}'])
      expect(refusal(publish, { wheels: 'a.whl', tag })).toMatch(/^tag: "/);
    expect(read(publish, { wheels: 'a.whl', tag: 'release/v2.2.0+cu128' }).string('tag')).toBe('release/v2.2.0+cu128');
    expect(refusal(build, { ref: 'main..x' })).toMatch(/^ref: "main\.\.x" holds "\.\."/);
  });

  it('URLs of a scheme the input does not take, said without trying them', () => {
    for (const url of ['ftp://x', 'javascript:alert(1)', 'file:///etc/passwd'])
      expect(refusal(publish, { wheels: 'a.whl', 'github-api-url': url })).toMatch(
        /^github-api-url: ".*:" is not allowed here\. Allowed: a URL of https:, http:$/,
      );
    expect(refusal(publish, { wheels: 'a.whl', 'github-api-url': 'http:/x' })).toMatch(/names no host/);
  });

  it("compile-cache-url: ccache's schemes, several by spaces, a comma refused", () => {
    const ok =
      'redis://pw@cache:6379|connect-timeout=50 http://cache.lan/ccache file:/shared/ccache redis+unix:/run/redis.sock';
    expect(read(build, { 'compile-cache-url': ok }).string('compile-cache-url')).toBe(ok);
    expect(refusal(build, { 'compile-cache-url': 'redis://a:6379,redis://b:6379' })).toMatch(
      /^compile-cache-url: "redis:\/\/a:6379,redis:\/\/b:6379" holds a comma; several URLs are separated by spaces/,
    );
    expect(refusal(build, { 'compile-cache-url': 'https://cache' })).toMatch(/"https:" is not allowed here/);
    const several = refusal(build, { 'compile-cache-url': 'redis://a:pw1234@h1 redis://b:p@ss/w0rd@h2,h3' });
    expect(several).toMatch(/^compile-cache-url: "redis:\/\/b:\*\*\*@h2,h3" holds a comma/);
    expect(several).not.toMatch(/pw1234|p@ss|w0rd/);
  });

  it('GITHUB_REPOSITORY that is not owner/name, named as the variable', () => {
    for (const value of ['o/r/x', '../o/r', 'o/..', '-o/r'])
      expect(() => repoFromEnv({ GITHUB_REPOSITORY: value })).toThrow(/^GITHUB_REPOSITORY: ".*" is not owner\/name/);
    expect(repoFromEnv({ GITHUB_REPOSITORY: 'thu-ml/SageAttention' })).toEqual({
      owner: 'thu-ml',
      repo: 'SageAttention',
    });
  });

  it('matrix include/exclude keys: a typo is an error with a guess; include may add keys of its own', () => {
    expect(refusal(matrix, { 'torch-versions': '2.7', exclude: '[{"cdua": "12.8"}]' })).toBe(
      'exclude: "cdua" is not a key it knows. Did you mean cuda? Keys: python, torch, cuda, platform, arch-list, version-suffix',
    );
    expect(refusal(matrix, { 'torch-versions': '2.7', include: '[{"pyhton": "3.12"}]' })).toMatch(
      /Did you mean python\?/,
    );
    expect(refusal(matrix, { 'torch-versions': '2.7', exclude: '[{"runs-on": "x"}]' })).toMatch(
      /"runs-on" is not a key/,
    );
    expect(read(matrix, { 'torch-versions': '2.7', include: '[{"runs-on": "gpu-box"}]' }).string('include')).toContain(
      'gpu-box',
    );
  });

  it('torch-versions as a JSON list', () => {
    expect(read(matrix, { 'torch-versions': '["2.7", "2.8"]' }).list('torch-versions')).toEqual(['2.7', '2.8']);
  });

  it('version-suffix too long for a wheel file name, before any build', () => {
    expect(refusal(build, { 'version-suffix': 'x'.repeat(300) })).toBe(
      'version-suffix: is 300 characters long. Allowed: at most 64',
    );
  });

  it('paths by what must be there: cutlass a folder, output-dir not a file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sagewheels-kinds-'));
    const file = path.join(dir, 'file');
    await writeFile(file, '');
    expect(refusal(build, { cutlass: path.join(dir, 'nowhere') })).toMatch(/^cutlass: ".*nowhere" does not exist/);
    expect(refusal(build, { cutlass: file })).toMatch(/^cutlass: ".*" is not a folder/);
    expect(read(build, { cutlass: dir }).string('cutlass')).toBe(dir);
    expect(refusal(build, { 'output-dir': file })).toMatch(/^output-dir: ".*file" is a file, not a folder/);
    expect(read(build, { 'output-dir': path.join(dir, 'new') }).string('output-dir')).toBe(path.join(dir, 'new'));
    expect(refusal(build, { 'output-dir': `${'n'.repeat(256)}/x` })).toMatch(/has a name of 256 bytes/);
  });
});

describe('reproducible: check', () => {
  it('is a choice of three, in the reader and on the command line', () => {
    expect(inputType(build.spec.inputs.reproducible)).toBeUndefined();
    expect(read(build, { reproducible: 'check' }).choice('reproducible')).toBe('check');
    expect(parseInputFlags(['--reproducible', 'check', '--jobs', '2'], [build.spec])).toEqual({
      reproducible: 'check',
      jobs: '2',
    });
    expect(refusal(build, { reproducible: 'maybe' })).toBe(
      'reproducible: "maybe" is not allowed. Allowed: true, false, check',
    );
  });
});

describe('a token over plain http', () => {
  it('is refused to a host that is not loopback, unless allow-insecure-http says so', () => {
    expect(() => checkTokenTransport('github-api-url', 'http://ghe.example.com/api/v3', false)).toThrow(
      'github-api-url: "http://ghe.example.com/api/v3" is plain http to ghe.example.com, which would carry the token unencrypted. Give an https URL, or set allow-insecure-http: true to send it anyway',
    );
    expect(() => checkTokenTransport('hf-endpoint', 'http://127.0.0.1:8080', false)).not.toThrow();
    expect(() => checkTokenTransport('hf-endpoint', 'http://localhost:8080', false)).not.toThrow();
    expect(() => checkTokenTransport('github-api-url', 'http://ghe.example.com/api/v3', true)).not.toThrow();
  });

  it('publish refuses it before any request', async () => {
    const inputs = read(publish, {
      wheels: 'a.whl',
      tag: 'v1',
      token: 't0ken-value',
      'github-api-url': 'http://ghe.example.com/api/v3',
    });
    const env = process.env;
    process.env = { ...env, GITHUB_REPOSITORY: 'o/r' };
    try {
      await expect(Promise.resolve().then(() => publish.check!(inputs))).rejects.toThrow(
        /^github-api-url: .* is plain http to ghe\.example\.com/,
      );
    } finally {
      process.env = env;
    }
  });
});

describe('Python below the floor', () => {
  const python38 = path.join(
    process.env.PYENV_ROOT ?? path.join(homedir(), '.pyenv'),
    'versions',
    '3.8.18',
    'bin',
    'python3',
  );
  it('is refused in one line, by version or by path (a real 3.8)', async () => {
    await expect(findPython('3.8')).rejects.toThrow(
      'python: "3.8" is Python 3.8, older than 3.9. Give Python 3.9 or newer (the oldest any supported torch was built for)',
    );
    await expect(findPython(python38)).rejects.toThrow(/^python: ".*3\.8\.18.*" is Python 3\.8\.18, older than 3\.9/);
  });
});
