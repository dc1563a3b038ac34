import path from 'node:path';
import { normalizeProject, parseWheelName, type WheelName } from '../wheel/name';
import { parseRecord, recordHash } from '../wheel/record';
import { readZip, type ZipItem } from '../wheel/zip';

/** A wheel read into memory, with what is wrong with it as an archive. */
export interface WheelArchive {
  file: string;
  name: WheelName;
  /** The `Name` of METADATA, as the project spells it. */
  project: string;
  files: ZipItem[];
  problems: string[];
}

/** A Python extension module inside the wheel. */
export interface ExtensionFile {
  /** Dotted import name: sageattention._qattn_sm89 */
  module: string;
  path: string;
  data: Buffer;
}

/**
 * Reads a wheel and checks it as pip would have to trust it: a whole archive with no entry
 * outside its folder, a file name that agrees with METADATA and WHEEL, and a RECORD whose
 * hashes and sizes match every file. Throws only when the file is no readable wheel at all.
 */
export async function readWheel(file: string): Promise<WheelArchive> {
  const name = parseWheelName(path.basename(file));
  const files = await readZip(file);
  const problems: string[] = [];
  const byPath = new Map<string, ZipItem>();
  for (const item of files) {
    if (byPath.has(item.name)) problems.push(`the archive holds "${item.name}" twice`);
    byPath.set(item.name, item);
  }

  const distInfo = [...new Set(files.map((f) => f.name.split('/')[0]!).filter((top) => top.endsWith('.dist-info')))];
  if (distInfo.length !== 1) {
    throw new Error(
      `${path.basename(file)}: expected one .dist-info folder, found ${distInfo.length ? distInfo.join(', ') : 'none'}`,
    );
  }
  const info = distInfo[0]!;
  const text = (leaf: string): string => {
    const item = byPath.get(`${info}/${leaf}`);
    if (!item) throw new Error(`${path.basename(file)}: ${info}/${leaf} is missing`);
    return item.data.toString('utf8');
  };

  const metadata = parseHeaders(text('METADATA'));
  const project = metadata.get('name')?.[0] ?? '';
  const version = metadata.get('version')?.[0] ?? '';
  if (normalizeProject(project) !== normalizeProject(name.distribution)) {
    problems.push(`the file name says project "${name.distribution}", METADATA says "${project}"`);
  }
  if (normalizeVersion(version) !== normalizeVersion(name.version)) {
    problems.push(
      `the file name says version ${name.version}, METADATA says ${version || 'nothing'} (pip and uv refuse the wheel)`,
    );
  }
  const stem = info.slice(0, -'.dist-info'.length);
  const [infoProject, infoVersion] = [stem.slice(0, stem.lastIndexOf('-')), stem.slice(stem.lastIndexOf('-') + 1)];
  if (
    normalizeProject(infoProject) !== normalizeProject(name.distribution) ||
    normalizeVersion(infoVersion) !== normalizeVersion(name.version)
  ) {
    problems.push(`the metadata folder ${info} does not match the file name`);
  }

  const wheelTags = new Set(parseHeaders(text('WHEEL')).get('tag') ?? []);
  const nameTags = expandTags(name);
  const missing = nameTags.filter((tag) => !wheelTags.has(tag));
  const extra = [...wheelTags].filter((tag) => !nameTags.includes(tag));
  if (missing.length || extra.length) {
    problems.push(
      `the file name's tags (${nameTags.join(', ')}) differ from WHEEL's Tag lines (${[...wheelTags].join(', ') || 'none'})`,
    );
  }

  problems.push(...recordProblems(`${info}/RECORD`, text('RECORD'), byPath));
  return { file, name, project, files, problems };
}

function recordProblems(recordPath: string, record: string, byPath: Map<string, ZipItem>): string[] {
  const problems: string[] = [];
  const listed = new Set<string>();
  for (const row of parseRecord(record)) {
    listed.add(row.path);
    if (
      row.path === recordPath ||
      row.path.endsWith('.dist-info/RECORD.jws') ||
      row.path.endsWith('.dist-info/RECORD.p7s')
    )
      continue;
    const item = byPath.get(row.path);
    if (!item) {
      problems.push(`RECORD lists ${row.path}, which is not in the archive`);
    } else if (row.hash !== recordHash(item.data)) {
      problems.push(`${row.path} does not match its RECORD hash (${row.hash || 'none given'})`);
    } else if (row.size !== '' && Number(row.size) !== item.data.length) {
      problems.push(`${row.path} is ${item.data.length} bytes, RECORD says ${row.size}`);
    }
  }
  for (const name of byPath.keys()) {
    if (!listed.has(name) && !name.endsWith('/RECORD.jws') && !name.endsWith('/RECORD.p7s')) {
      problems.push(`${name} is in the archive but not in RECORD`);
    }
  }
  return problems;
}

/** Email-style headers (METADATA, WHEEL) up to the first blank line; keys lower-cased. */
export function parseHeaders(text: string): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  for (const line of text.split(/\r?\n/)) {
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon <= 0 || /^\s/.test(line)) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    headers.set(key, [...(headers.get(key) ?? []), line.slice(colon + 1).trim()]);
  }
  return headers;
}

/** cp312-cp312-linux_x86_64 for each combination of compressed tag sets (py2.py3). */
export function expandTags(name: WheelName): string[] {
  return name.python
    .split('.')
    .flatMap((py) =>
      name.abi.split('.').flatMap((abi) => name.platform.split('.').map((platform) => `${py}-${abi}-${platform}`)),
    );
}

/** Enough of PEP 440 for comparing what tools write: case, and `-`/`_` in local labels. */
const normalizeVersion = (version: string): string =>
  version
    .trim()
    .toLowerCase()
    .replace(/(\+.*)$/, (local) => local.replace(/[-_]/g, '.'));

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Extension modules (.so, .pyd) by their import name. Files under `<name>.data/platlib` or
 * `purelib` install at the top; shared libraries that no import reaches (auditwheel's
 * `<name>.libs`) are not modules and are left out.
 */
export function extensionModules(archive: WheelArchive): ExtensionFile[] {
  const modules: ExtensionFile[] = [];
  for (const item of archive.files) {
    const installed = item.name.replace(/^[^/]+\.data\/(?:platlib|purelib)\//, '');
    if (!/\.(so|pyd)$/.test(installed) || installed.split('/')[0]!.endsWith('.data')) continue;
    const parts = installed.split('/');
    const leaf = parts.pop()!.split('.')[0]!;
    if (![...parts, leaf].every((part) => IDENTIFIER.test(part))) continue;
    modules.push({ module: [...parts, leaf].join('.'), path: item.name, data: item.data });
  }
  return modules.sort((a, b) => a.module.localeCompare(b.module));
}

/** Top-level names the wheel installs (packages and modules), from its files. */
export function topLevelNames(archive: WheelArchive): string[] {
  const names = new Set<string>();
  for (const item of archive.files) {
    const installed = item.name.replace(/^[^/]+\.data\/(?:platlib|purelib)\//, '');
    const [top, ...rest] = installed.split('/');
    if (!top || top.endsWith('.dist-info') || top.endsWith('.data')) continue;
    const name = rest.length > 0 ? top : top.split('.')[0]!;
    if (IDENTIFIER.test(name) && (rest.length > 0 || /\.(py|so|pyd)$/.test(top))) names.add(name);
  }
  return [...names].sort();
}
