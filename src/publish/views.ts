import { wheelFacts } from './wheels';

/** A wheel as the release holds it: what the listings are made of. */
export interface ReleasedWheel {
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

export const formatSize = (bytes: number): string =>
  bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;

/** The release notes' wheel table, pip lines, and (with `repo`, "owner/name") how to check a wheel's provenance. */
export function notesSection(wheels: readonly ReleasedWheel[], repo?: string): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|') || '—';
  const rows = wheels.map((w) => {
    const facts = wheelFacts(w.name);
    return `| [${w.name}](${w.url}) | ${cell(facts.python)} | ${cell(facts.torch)} | ${cell(facts.cuda)} | ${cell(facts.platform)} | ${cell(w.archs.join(' '))} | ${formatSize(w.size)} |`;
  });
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
    NOTES_END,
  ].join('\n');
}

/** The body with its wheel section replaced (or appended); what others wrote around it stays. */
export function mergeNotes(body: string, section: string): string {
  const start = body.indexOf(NOTES_BEGIN);
  const end = body.indexOf(NOTES_END);
  if (start >= 0 && end > start) return body.slice(0, start) + section + body.slice(end + NOTES_END.length);
  return body.trim() === '' ? section : `${body.trimEnd()}\n\n${section}`;
}
