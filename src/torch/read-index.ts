import { errorMessage } from '../core/errors';
import { TorchReleases } from './releases';
import { IndexPageError, parseIndexPage, PEP691_JSON } from './simple-index';
import { parseTorchWheel, type TorchWheel } from './wheels';

export interface IndexRead {
  /** The page read: <index>/torch/. */
  url: string;
  format: 'json' | 'html';
  bytes: number;
  releases: TorchReleases;
}

export interface ReadOptions {
  /** The whole request, body included (default 30 s). */
  timeoutMs?: number;
  /** A page larger than this is refused (default 64 MiB; PyTorch's whole torch/ page is a few MB). */
  maxBytes?: number;
}

/** The torch/ page of an index: https://download.pytorch.org/whl -> https://download.pytorch.org/whl/torch/ */
export const torchPageUrl = (index: string): string => `${index.replace(/\/+$/, '')}/torch/`;

/**
 * Reads the torch page of a package index (PEP 691 JSON when the server offers it, else PEP 503
 * HTML) and derives the releases from its CUDA wheels. Throws on a failed request, a page that is
 * not an index page, a truncated one, or one that lists no CUDA wheel of torch.
 */
export async function readTorchIndex(index: string, options: ReadOptions = {}): Promise<IndexRead> {
  const url = torchPageUrl(index);
  const maxBytes = options.maxBytes ?? 64 * 2 ** 20;
  let response: Response;
  let body: string;
  try {
    response = await fetch(url, {
      headers: { Accept: `${PEP691_JSON}, text/html;q=0.1` },
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`.trim());
    body = await readCapped(response, maxBytes);
  } catch (error) {
    // fetch says only "fetch failed"; its cause says why (ENOTFOUND, ECONNREFUSED, a reset).
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const detail = cause?.code ?? cause?.message;
    const why =
      (error as Error).name === 'TimeoutError' ? 'timed out' : `${errorMessage(error)}${detail ? ` (${detail})` : ''}`;
    throw new Error(`${url}: ${why}`, { cause: error });
  }
  let page: ReturnType<typeof parseIndexPage>;
  try {
    page = parseIndexPage(body, response.headers.get('content-type') ?? '');
  } catch (error) {
    throw new Error(`${url}: ${errorMessage(error)}`, { cause: error });
  }
  const wheels = page.files.map(parseTorchWheel).filter((w): w is TorchWheel => w !== undefined);
  if (wheels.length === 0)
    throw new IndexPageError(`${url}: lists ${page.files.length} files and no CUDA wheel of torch`);
  return { url, format: page.format, bytes: Buffer.byteLength(body), releases: TorchReleases.fromWheels(wheels) };
}

async function readCapped(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) throw new Error(`the page is ${declared} bytes, more than the ${maxBytes} allowed`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new Error(`the page is more than the ${maxBytes} bytes allowed`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
