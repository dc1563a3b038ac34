import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { formatSidecar, mergeNotes, notesSection, parseSidecar, sha256Sums } from '../../src/publish/views';
import { archsFromReport, findWheels, wheelFacts } from '../../src/publish/wheels';
import { formatRecord, recordHash } from '../../src/wheel/record';
import { writeZip } from '../../src/wheel/zip';
import { FakeGitHub } from '../fakes/github';
import { offlinePipEnv } from '../helpers/offline-pip';
import { request, runPublisher, sha256, validWheelFiles, wheelFiles, wheelName } from './helpers';

const run = promisify(execFile);

describe('what the release says of each wheel', () => {
  it('reads Python, torch, CUDA and platform from the wheel name', () => {
    expect(wheelFacts(wheelName(0))).toEqual({
      python: '3.12',
      torch: '2.7.1',
      cuda: '12.8',
      platform: 'linux_x86_64',
    });
    expect(wheelFacts('sageattention-2.2.0+cu130torch2.10.0-cp39-abi3-win_amd64.whl')).toEqual({
      python: '3.9+',
      torch: '2.10.0',
      cuda: '13.0',
      platform: 'win_amd64',
    });
    expect(wheelFacts('x-1.0+cpu-py3-none-any.whl')).toMatchObject({ python: '3', cuda: 'cpu', torch: '' });
    expect(wheelFacts('x-1.0-cp310.cp311-none-manylinux_2_28_x86_64.whl')).toMatchObject({
      python: '3.10, 3.11',
      cuda: '',
    });
  });

  it('sidecars and SHA256SUMS pass the real sha256sum -c, archs comment included', async () => {
    const { dir, wheels, data } = await wheelFiles([wheelName(0), wheelName(1)], 1000);
    const listed = wheels.map((w) => ({
      name: w.name,
      size: w.size,
      url: '',
      sha256: sha256(data.get(w.name)!),
      archs: ['sm_80', 'sm_120a'],
    }));
    await writeFile(path.join(dir, 'one.sha256'), formatSidecar(listed[0]!));
    await writeFile(path.join(dir, 'SHA256SUMS'), sha256Sums(listed));
    expect((await run('sha256sum', ['--strict', '-c', 'one.sha256'], { cwd: dir })).stdout).toBe(
      `${wheelName(0)}: OK\n`,
    );
    expect(
      (await run('sha256sum', ['--strict', '-c', 'SHA256SUMS'], { cwd: dir })).stdout.match(/: OK$/gm),
    ).toHaveLength(2);
    expect(parseSidecar(formatSidecar(listed[0]!))).toEqual({ sha256: listed[0]!.sha256, archs: ['sm_80', 'sm_120a'] });
  });

  it('replaces only its own section of the release notes', () => {
    const section = (n: number) =>
      notesSection([{ name: wheelName(n), size: 2_500_000, url: `https://x/${n}`, archs: [] }]);
    const first = mergeNotes('Hand-written notes.', section(0));
    const edited = `${first}\n\nA line added later.`;
    const second = mergeNotes(edited, section(1));
    expect(second.startsWith('Hand-written notes.\n\n<!-- sagewheels: wheels')).toBe(true);
    expect(second.endsWith('\n\nA line added later.')).toBe(true);
    expect(second).toContain('2.4 MiB');
    expect(second).not.toContain(wheelName(0));
    expect(mergeNotes(second, section(1))).toBe(second);
  });

  it('shows how to check a wheel with gh attestation verify when the repository is known', () => {
    const wheels = [{ name: wheelName(0), size: 1, url: 'https://x/0', archs: [] }];
    expect(notesSection(wheels, [], 'octo/sage')).toContain(
      `\`\`\`sh\ngh attestation verify ${wheelName(0)} --repo octo/sage\n\`\`\``,
    );
    expect(notesSection(wheels)).not.toContain('attestation');
  });

  it("reads the GPUs each wheel runs on from verify's report (schema 1), and refuses another shape", async () => {
    const { dir } = await wheelFiles([]);
    const file = path.join(dir, 'report.json');
    const wheel = (name: string, gpus: Record<string, string>) => ({ file: `/out/${name}`, name, gpus });
    await writeFile(
      file,
      JSON.stringify({
        schema: 1,
        archs: ['8.0'],
        wheels: [
          wheel(wheelName(0), { '8.0': 'sass', '8.6': 'sass' }),
          wheel(wheelName(1), { '8.9': 'sass', '12.0': 'ptx' }),
        ],
      }),
    );
    expect([...(await archsFromReport(file))]).toEqual([
      [wheelName(0), ['8.0', '8.6']],
      [wheelName(1), ['8.9', '12.0 (PTX)']],
    ]);
    await writeFile(file, JSON.stringify({ results: [{ wheel: wheelName(0), archs: ['sm_80'] }] }));
    await expect(archsFromReport(file)).rejects.toThrow('not a verify report of schema 1');
  });

  it('finds wheels by path and glob, and refuses what GitHub would store under another name', async () => {
    const { dir } = await validWheelFiles([wheelName(0), wheelName(1)]);
    await writeFile(path.join(dir, 'not-a-wheel.whl'), 'x');
    expect((await findWheels(['sageattention-*.whl'], dir)).map((w) => w.name)).toEqual([wheelName(0), wheelName(1)]);
    await expect(findWheels(['*.whl'], dir)).rejects.toThrow('wheels: "not-a-wheel.whl" is not a wheel file name');
    await mkdir(path.join(dir, 'again'));
    await writeFile(path.join(dir, 'again', wheelName(0)), 'x');
    await expect(findWheels([wheelName(0), `again/${wheelName(0)}`], dir)).rejects.toThrow(
      /^wheels: two files are named/,
    );
    await writeFile(path.join(dir, 'a b-1.0-py3-none-any.whl'), 'x');
    await expect(findWheels(['a b-1.0-py3-none-any.whl'], dir)).rejects.toThrow('has characters GitHub renames');
  });
});

describe('index page', () => {
  it('lets real pip install a wheel with a local version through its #sha256 links', async () => {
    const fake = await new FakeGitHub().start();
    try {
      const { dir } = await wheelFiles([]);
      const name = 'tinypkg-1.0.0+cu128torch2.7.1-py3-none-any.whl';
      const info = 'tinypkg-1.0.0+cu128torch2.7.1.dist-info';
      const files = [
        { name: 'tinypkg/__init__.py', data: Buffer.from('VALUE = 42\n') },
        {
          name: `${info}/METADATA`,
          data: Buffer.from('Metadata-Version: 2.1\nName: tinypkg\nVersion: 1.0.0+cu128torch2.7.1\n'),
        },
        {
          name: `${info}/WHEEL`,
          data: Buffer.from(
            'Wheel-Version: 1.0\nGenerator: sagewheels-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n',
          ),
        },
      ];
      const record = formatRecord([
        ...files.map((f) => ({ path: f.name, hash: recordHash(f.data), size: String(f.data.length) })),
        { path: `${info}/RECORD`, hash: '', size: '' },
      ]);
      await writeZip(
        path.join(dir, name),
        [...files, { name: `${info}/RECORD`, data: Buffer.from(record) }].map((f) => ({ ...f, mode: 0o644 })),
      );
      const [wheel] = await findWheels([name], dir);
      await runPublisher(fake, request([wheel!], { indexPage: true }));

      // GitHub serves release downloads as application/octet-stream, which pip does not read as a
      // page; so the page is fetched once and pip reads it as a file.
      const page = await fetch(`${fake.url}/octo/wheels/releases/download/v1/index.html`);
      expect(page.headers.get('content-type')).toBe('application/octet-stream');
      await writeFile(path.join(dir, 'index.html'), Buffer.from(await page.arrayBuffer()));
      const target = path.join(dir, 'site');
      await run(
        'python3',
        [
          '-m',
          'pip',
          'install',
          '--no-index',
          '--find-links',
          path.join(dir, 'index.html'),
          '--target',
          target,
          'tinypkg==1.0.0+cu128torch2.7.1',
        ],
        {
          env: { ...process.env, ...offlinePipEnv() },
        },
      );
      expect(await readFile(path.join(target, 'tinypkg', '__init__.py'), 'utf8')).toBe('VALUE = 42\n');
      expect(await readdir(target)).toContain(info);
      const downloads = fake.requests.filter((r) => r.path.endsWith(encodeURIComponent(name)) && r.method === 'GET');
      expect(downloads.length).toBeGreaterThan(0);
    } finally {
      await fake.stop();
    }
  });
});
