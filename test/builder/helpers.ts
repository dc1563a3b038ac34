import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { formatRecord, recordHash } from '../../src/wheel/record';
import { readZip, writeZip } from '../../src/wheel/zip';

/**
 * A stand-in torch for the index path of `torch: install`: a pure-Python wheel that answers the
 * two things the build asks of torch, torch.__version__ and torch.version.cuda. Real torch
 * (2.11+cu130, preinstalled) is what the GPU machine builds against.
 */
export async function fakeTorchWheel(dir: string, version: string, cuda: string): Promise<string> {
  const info = `torch-${version}.dist-info`;
  const items = [
    {
      name: 'torch/__init__.py',
      data: Buffer.from(`__version__ = "${version}"\nfrom . import version\n`),
      mode: 0o644,
    },
    { name: 'torch/version.py', data: Buffer.from(`cuda = "${cuda}"\n`), mode: 0o644 },
    {
      name: `${info}/METADATA`,
      data: Buffer.from(`Metadata-Version: 2.1\nName: torch\nVersion: ${version}\n`),
      mode: 0o644,
    },
    {
      name: `${info}/WHEEL`,
      data: Buffer.from('Wheel-Version: 1.0\nGenerator: sagewheels-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n'),
      mode: 0o644,
    },
  ];
  const rows = items.map((i) => ({ path: i.name, hash: recordHash(i.data), size: String(i.data.length) }));
  const record = Buffer.from(formatRecord([...rows, { path: `${info}/RECORD`, hash: '', size: '' }]));
  const file = path.join(dir, `torch-${version}-py3-none-any.whl`);
  await writeZip(file, [...items, { name: `${info}/RECORD`, data: record, mode: 0o644 }]);
  return file;
}

/**
 * A PEP 503 simple index on loopback serving `files` (project name from the wheel name); every
 * other project is 404, as on a real index. Records the paths asked for.
 */
export async function simpleIndex(
  files: readonly string[],
): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const byName = new Map(files.map((file) => [path.basename(file), file]));
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    requests.push(url);
    void (async () => {
      const project = /^\/simple\/([^/]+)\/?$/.exec(url)?.[1];
      if (project) {
        const links = await Promise.all(
          [...byName]
            .filter(([name]) => name.split('-')[0] === project)
            .map(async ([name, file]) => {
              const sha = createHash('sha256')
                .update(await readFile(file))
                .digest('hex');
              return `<a href="/files/${encodeURIComponent(name)}#sha256=${sha}">${name}</a>`;
            }),
        );
        if (links.length === 0) return void res.writeHead(404).end();
        return void res
          .writeHead(200, { 'content-type': 'text/html' })
          .end(`<!DOCTYPE html><html><body>${links.join('\n')}</body></html>`);
      }
      const file = byName.get(decodeURIComponent(/^\/files\/(.+)$/.exec(url)?.[1] ?? ''));
      if (!file) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(await readFile(file));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/simple`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * The SASS targets compiled into a binary, read from each embedded cubin's toolkit note, which
 * records ptxas's own "-arch sm_90a" (the ELF flags do not tell sm_90 from sm_90a).
 */
export async function sassTargets(file: string): Promise<string[]> {
  const text = (await readFile(file)).toString('latin1');
  return [...new Set([...text.matchAll(/-arch (sm_\d+[af]?) /g)].map((m) => m[1]!))].sort();
}

/** The files of a wheel, by name. */
export async function wheelFiles(wheel: string): Promise<Map<string, Buffer>> {
  return new Map((await readZip(wheel)).map((item) => [item.name, item.data]));
}
