import { errorMessage } from '../core/errors';
import { cancelSignal } from '../core/on-signal';
import { API_BOUNDS, boundedFetch, RequestBoundError } from '../http/request';
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
  const totalMs = options.timeoutMs ?? 30_000;
  const bounds = { ...API_BOUNDS, totalMs, maxBytes: options.maxBytes ?? 64 * 2 ** 20 };
  let response: Response;
  let body: string;
  try {
    response = await boundedFetch(bounds, { signal: cancelSignal })(url, {
      headers: { Accept: `${PEP691_JSON}, text/html;q=0.1` },
    });
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`.trim());
    body = await response.text();
  } catch (error) {
    // fetch says only "fetch failed"; its cause says why (ENOTFOUND, ECONNREFUSED, a reset).
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const detail = error instanceof RequestBoundError ? undefined : (cause?.code ?? cause?.message);
    throw new Error(`${url}: ${errorMessage(error)}${detail ? ` (${detail})` : ''}`, { cause: error });
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
