import path from 'node:path';
import { formatWheelName, normalizeProject, parseWheelName } from './name';
import { formatRecord, parseRecord, recordHash } from './record';
import { retagWheelFile } from './tags';
import { readZip, writeZip, type ZipItem } from './zip';

export interface Relabel {
  /** A PEP 440 local label without "+" ("cu128torch2.7.1"); replaces any the wheel has. */
  label?: string;
  /**
   * Requirements ("torch>=2.7,<2.8") that replace the wheel's own requirements of the same
   * project (extras' requirements stay), or are added.
   */
  requires?: readonly string[];
  /** A new (compressed) platform tag, manylinux_2_28_x86_64: file name and WHEEL's Tag lines. */
  platform?: string;
}

const LOCAL_LABEL = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/i;

/** "+CU128_Torch-2.7" -> "cu128.torch.2.7" (PEP 440's normal form), or undefined when it cannot be a local label. */
export function normalizeLocalLabel(text: string): string | undefined {
  const label = text.startsWith('+') ? text.slice(1) : text;
  return LOCAL_LABEL.test(label) ? label.toLowerCase().replace(/[-_]/g, '.') : undefined;
}

const requirementName = (requirement: string): string =>
  normalizeProject(/^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(requirement)?.[1] ?? '');

/** METADATA with a new Version and requirements; the body after the headers is kept byte for byte. */
export function editMetadata(text: string, version: string, requires: readonly string[]): string {
  const split = text.search(/\r?\n\r?\n/);
  const head = split < 0 ? text : text.slice(0, split);
  const body = split < 0 ? '' : text.slice(split);
  const eol = head.includes('\r\n') ? '\r\n' : '\n';
  const replaced = new Set(requires.map(requirementName));
  const lines = head.split(/\r?\n/).filter((line) => {
    const match = /^Requires-Dist:\s*(.*)$/i.exec(line);
    return !match || !replaced.has(requirementName(match[1]!)) || /\bextra\s*==/.test(match[1]!);
  });
  const out = lines.map((line) => (/^Version:/i.test(line) ? `Version: ${version}` : line));
  const lastRequire = out.reduce((last, line, i) => (/^Requires-Dist:/i.test(line) ? i : last), out.length - 1);
  out.splice(lastRequire + 1, 0, ...requires.map((req) => `Requires-Dist: ${req}`));
  return out.join(eol) + body;
}

/**
 * Rewrites a built wheel under a new local version label and requirements, for any package and
 * without its cooperation: file name, the .dist-info and .data folders, METADATA's Version and
 * Requires-Dist, and RECORD (every hash recomputed). Returns the new wheel's path in `outDir`.
 */
export async function relabelWheel(file: string, relabel: Relabel, outDir: string): Promise<string> {
  const name = parseWheelName(file);
  const items = await readZip(file);
  const metadataItem = items.find((item) => /^[^/]+\.dist-info\/METADATA$/.test(item.name));
  if (!metadataItem) throw new Error(`${path.basename(file)}: no .dist-info/METADATA`);
  const oldInfo = metadataItem.name.split('/')[0]!;
  const oldPrefix = oldInfo.slice(0, -'.dist-info'.length);
  const metadata = metadataItem.data.toString('utf8');
  const current = /^Version:\s*(\S+)/m.exec(metadata)?.[1] ?? name.version;
  const version = relabel.label ? `${current.split('+')[0]}+${relabel.label}` : current;

  // Folder names escape the version as the file name does ("-" is never in a normalized version).
  const distribution = oldPrefix.slice(0, oldPrefix.lastIndexOf('-'));
  const newPrefix = `${distribution}-${version}`;
  const rename = (entry: string): string => {
    const [top, ...rest] = entry.split('/');
    if (top === `${oldPrefix}.dist-info` || top === `${oldPrefix}.data`)
      return [top.replace(oldPrefix, newPrefix), ...rest].join('/');
    return entry;
  };

  const recordName = `${newPrefix}.dist-info/RECORD`;
  const kept: ZipItem[] = [];
  for (const item of items) {
    const renamed = rename(item.name);
    // Signatures of the old RECORD cannot hold for the new one.
    if (renamed === recordName || /\.dist-info\/RECORD\.(jws|p7s)$/.test(renamed)) continue;
    let data = item === metadataItem ? Buffer.from(editMetadata(metadata, version, relabel.requires ?? [])) : item.data;
    if (relabel.platform && item.name === `${oldInfo}/WHEEL`)
      data = Buffer.from(retagWheelFile(item.data.toString('utf8'), relabel.platform));
    kept.push({ name: renamed, data, mode: item.mode });
  }
  const oldRecord = items.find((item) => item.name === `${oldInfo}/RECORD`);
  const order = new Map(
    (oldRecord ? parseRecord(oldRecord.data.toString('utf8')) : []).map((row, i) => [rename(row.path), i]),
  );
  const rows = kept
    .map((item) => ({ path: item.name, hash: recordHash(item.data), size: String(item.data.length) }))
    .sort((a, b) => (order.get(a.path) ?? order.size) - (order.get(b.path) ?? order.size));
  rows.push({ path: recordName, hash: '', size: '' });
  kept.push({ name: recordName, data: Buffer.from(formatRecord(rows)), mode: 0o644 });

  const target = path.join(outDir, formatWheelName({ ...name, version, platform: relabel.platform ?? name.platform }));
  await writeZip(target, kept);
  return target;
}
