import { wheelFacts } from './wheels';

/** A wheel as the release holds it: what the listings are made of. */
export interface ReleasedWheel {
  /** The asset's id: a replaced wheel gets a new one. */
  id?: number;
  name: string;
  size: number;
  url: string;
  sha256?: string;
  archs: string[];
}

export const SUMS_NAME = 'SHA256SUMS';
export const INDEX_NAME = 'index.html';
export const sidecarName = (wheel: string): string => `${wheel}.sha256`;

/**
 * `<wheel>.sha256`, one per wheel: a sha256sum line, plus the wheel's GPU archs as a comment
 * line (sha256sum -c and shasum -c skip lines starting with #). Each job writes only its own,
 * so these never race; SHA256SUMS, index.html and the release notes are rebuilt from them.
 */
export function formatSidecar(wheel: { name: string; sha256: string; archs: readonly string[] }): string {
  return `${wheel.archs.length > 0 ? `# archs: ${wheel.archs.join(' ')}\n` : ''}${wheel.sha256}  ${wheel.name}\n`;
}

export function parseSidecar(text: string): { sha256?: string; archs: string[] } {
  const sha256 = /^([0-9a-f]{64}) [ *]/m.exec(text)?.[1];
  const archs = /^# archs: (.*)$/m.exec(text)?.[1]?.trim().split(/\s+/) ?? [];
  return { sha256, archs };
}

/** The listing `sha256sum -c SHA256SUMS` checks, one line per wheel with a known digest. */
export function sha256Sums(wheels: readonly ReleasedWheel[]): string {
  return wheels
    .filter((w) => w.sha256)
    .map((w) => `${w.sha256}  ${w.name}\n`)
    .join('');
}

const escapeHtml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A PEP 503 style page of links with #sha256= fragments, for `pip install --find-links`. */
export function indexPage(tag: string, wheels: readonly ReleasedWheel[]): string {
  const title = escapeHtml(`Wheels of ${tag}`);
  const links = wheels.map(
    (w) => `    <a href="${escapeHtml(w.url + (w.sha256 ? `#sha256=${w.sha256}` : ''))}">${escapeHtml(w.name)}</a><br>`,
  );
  return [
    '<!DOCTYPE html>',
    '<html>',
    `  <head><meta name="pypi:repository-version" content="1.0"><title>${title}</title></head>`,
    '  <body>',
    `    <h1>${title}</h1>`,
    ...links,
    '  </body>',
    '</html>',
    '',
  ].join('\n');
}

const NOTES_BEGIN =
  '<!-- sagewheels: wheels (rebuilt from the assets on every publish; write outside these markers) -->';
const NOTES_END = '<!-- /sagewheels: wheels -->';
/** Archs by wheel sha256, kept hidden in the notes so that no job downloads another's sidecar to learn them. */
const ARCHS_BEGIN = '<!-- sagewheels: archs by sha256';

export const formatSize = (bytes: number): string =>
  bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;

/** A planned combination with no wheel on the release, and why. */
export interface MissingWheel {
  /** "python 3.12, torch 2.8.0, CUDA 12.8, linux-x86_64" */
  combination: string;
  reason: string;
}

/**
 * The release notes' wheel table and pip lines, the combinations that are missing, and (with
 * `repo`, "owner/name") how to check a wheel's provenance.
 */
export function notesSection(
  wheels: readonly ReleasedWheel[],
  missing: readonly MissingWheel[] = [],
  repo?: string,
): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|') || '—';
  const rows = wheels.map((w) => {
    const facts = wheelFacts(w.name);
    return `| [${w.name}](${w.url}) | ${cell(facts.python)} | ${cell(facts.torch)} | ${cell(facts.cuda)} | ${cell(facts.platform)} | ${cell(w.archs.join(' '))} | ${formatSize(w.size)} |`;
  });
  const known = wheels.filter((w) => w.sha256);
  return [
    NOTES_BEGIN,
    '### Wheels',
    '',
    '| wheel | Python | torch | CUDA | platform | GPU archs | size |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    'Install the one that matches your Python, torch and CUDA:',
    '',
    '```sh',
    ...wheels.map((w) => `pip install ${w.url}`),
    '```',
    ...(repo && wheels.length > 0
      ? [
          '',
          "Check that a wheel was built by this repository's release workflow (sagewheels' workflows attest every wheel they publish):",
          '',
          '```sh',
          `gh attestation verify ${wheels[0]!.name} --repo ${repo}`,
          '```',
        ]
      : []),
    ...(missing.length > 0
      ? [
          '',
          '### Missing',
          '',
          '| combination | why |',
          '| --- | --- |',
          ...missing.map((m) => `| ${cell(m.combination)} | ${cell(m.reason.replace(/\s+/g, ' '))} |`),
        ]
      : []),
    ...(known.length > 0 ? [ARCHS_BEGIN, ...known.map((w) => [w.sha256, ...w.archs].join(' ')), '-->'] : []),
    NOTES_END,
  ].join('\n');
}

/** The archs by sha256 that an earlier publish kept in the notes. */
export function notesArchs(body: string): Map<string, string[]> {
  const start = body.indexOf(ARCHS_BEGIN);
  const archs = new Map<string, string[]>();
  if (start < 0) return archs;
  const end = body.indexOf('-->', start);
  for (const line of body.slice(start + ARCHS_BEGIN.length, end < 0 ? undefined : end).split('\n')) {
    const [sha256, ...list] = line.trim().split(/\s+/);
    if (sha256 && /^[0-9a-f]{64}$/.test(sha256)) archs.set(sha256, list);
  }
  return archs;
}

/** The body with its wheel section replaced (or appended); what others wrote around it stays. */
export function mergeNotes(body: string, section: string): string {
  const start = body.indexOf(NOTES_BEGIN);
  const end = body.indexOf(NOTES_END);
  if (start >= 0 && end > start) return body.slice(0, start) + section + body.slice(end + NOTES_END.length);
  return body.trim() === '' ? section : `${body.trimEnd()}\n\n${section}`;
}
