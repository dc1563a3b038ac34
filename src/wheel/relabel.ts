import path from 'node:path';
import { formatWheelName, normalizeProject, parseWheelName } from './name';
import { formatRecord, recordHash } from './record';
import { retagWheelFile } from './tags';
import { entryData, normalMode, readStoredEntries, type StoredEntry, storeEntry, writeStoredZip } from './zip';

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
  /** The time every entry gets (SOURCE_DATE_EPOCH); default 1980-01-01. */
  mtime?: Date;
  /** Files written into the .dist-info folder by name, replacing any of that name. */
  distInfoFiles?: Readonly<Record<string, Buffer>>;
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

/** A wheel's order: the package's files by name, then .dist-info's, RECORD last. */
function wheelOrder(a: string, b: string): number {
  const rank = (name: string) =>
    /^[^/]+\.dist-info\/RECORD$/.test(name) ? 2 : /^[^/]+\.dist-info\//.test(name) ? 1 : 0;
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * Rewrites a built wheel under a new local version label and requirements, for any package and
 * without its cooperation: file name, the .dist-info and .data folders, METADATA's Version and
 * Requires-Dist, and RECORD (every hash recomputed). Returns the new wheel's path in `outDir`.
 *
 * One pass, and the same bytes for the same wheel: each file is read once, inflated once to check
 * and hash it, and copied still compressed; entries go in a fixed order with one timestamp and
 * modes 644/755.
 */
export async function relabelWheel(file: string, relabel: Relabel, outDir: string): Promise<string> {
  const name = parseWheelName(file);
  const entries = await readStoredEntries(file);
  const metadataEntry = entries.find((entry) => /^[^/]+\.dist-info\/METADATA$/.test(entry.name));
  if (!metadataEntry) throw new Error(`${path.basename(file)}: no .dist-info/METADATA`);
  const oldInfo = metadataEntry.name.split('/')[0]!;
  const oldPrefix = oldInfo.slice(0, -'.dist-info'.length);
  const metadata = entryData(metadataEntry).toString('utf8');
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
  const added = Object.entries(relabel.distInfoFiles ?? {}).map(([file, data]) => ({
    name: `${newPrefix}.dist-info/${file}`,
    data,
  }));
  const kept: StoredEntry[] = [];
  const rows = [];
  for (const { name: file, data } of added) {
    kept.push(storeEntry(file, data, 0o644));
    rows.push({ path: file, hash: recordHash(data), size: String(data.length) });
  }
  for (const entry of entries) {
    const renamed = rename(entry.name);
    if (added.some((file) => file.name === renamed)) continue;
    // Signatures of the old RECORD cannot hold for the new one.
    if (renamed === recordName || /\.dist-info\/RECORD\.(jws|p7s)$/.test(renamed)) continue;
    const mode = normalMode(entry.mode);
    const edited =
      entry === metadataEntry
        ? Buffer.from(editMetadata(metadata, version, relabel.requires ?? []))
        : relabel.platform && entry.name === `${oldInfo}/WHEEL`
          ? Buffer.from(retagWheelFile(entryData(entry).toString('utf8'), relabel.platform))
          : undefined;
    if (edited) {
      kept.push(storeEntry(renamed, edited, mode));
      rows.push({ path: renamed, hash: recordHash(edited), size: String(edited.length) });
    } else {
      const data = entryData(entry);
      kept.push({ ...entry, name: renamed, mode });
      rows.push({ path: renamed, hash: recordHash(data), size: String(data.length) });
    }
  }
  kept.sort((a, b) => wheelOrder(a.name, b.name));
  rows.sort((a, b) => wheelOrder(a.path, b.path));
  rows.push({ path: recordName, hash: '', size: '' });
  kept.push(storeEntry(recordName, Buffer.from(formatRecord(rows)), 0o644));

  const target = path.join(outDir, formatWheelName({ ...name, version, platform: relabel.platform ?? name.platform }));
  await writeStoredZip(target, kept, { mtime: relabel.mtime });
  return target;
}
