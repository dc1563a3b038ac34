/**
 * File names from a project page of a Python package index: PEP 691 JSON or PEP 503 HTML. A page
 * that is neither, or that ends early, is an error, never an empty list.
 */
export class IndexPageError extends Error {
  override name = 'IndexPageError';
}

export const PEP691_JSON = 'application/vnd.pypi.simple.v1+json';

export function parseIndexPage(body: string, contentType: string): { files: string[]; format: 'json' | 'html' } {
  const json = contentType.includes('json') || (!contentType.includes('html') && body.trimStart().startsWith('{'));
  return json ? { files: parseJsonPage(body), format: 'json' } : { files: parseHtmlPage(body), format: 'html' };
}

function parseJsonPage(body: string): string[] {
  let page: unknown;
  try {
    page = JSON.parse(body);
  } catch (error) {
    throw new IndexPageError(`not valid JSON (${(error as Error).message}): truncated or not an index page`);
  }
  const { meta, files } = (page ?? {}) as { meta?: { 'api-version'?: unknown }; files?: unknown };
  if (typeof meta?.['api-version'] !== 'string' || !meta['api-version'].startsWith('1.'))
    throw new IndexPageError('JSON without meta.api-version 1.x: not a PEP 691 page');
  if (!Array.isArray(files) || files.some((f) => typeof (f as { filename?: unknown })?.filename !== 'string'))
    throw new IndexPageError('PEP 691 page without a files list of file names');
  return files.map((f) => (f as { filename: string }).filename);
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" };
const unescape = (text: string) => text.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ENTITIES[e]!);

function parseHtmlPage(body: string): string[] {
  // Anything may follow </html> (PyTorch's pages end with a timestamp comment); a page cut short lacks it.
  if (/<html[\s>]/i.test(body) && !/<\/html>/i.test(body))
    throw new IndexPageError('the HTML page ends before </html>: truncated');
  const files: string[] = [];
  for (const [, attributes, text] of body.matchAll(/<a\s([^>]*)>([^<]*)<\/a>/gi)) {
    // PEP 503: the anchor's text is the file name; the link's last part is its quoted form.
    const href = /href\s*=\s*["']([^"']*)["']/i.exec(attributes!)?.[1] ?? '';
    const name = unescape(text!).trim() || lastPart(unescape(href));
    if (name) files.push(name);
  }
  if (files.length === 0) throw new IndexPageError('an HTML page without links: not a PEP 503 project page');
  return files;
}

function lastPart(href: string): string {
  const part = href.split('#')[0]!.split('?')[0]!.split('/').pop() ?? '';
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
