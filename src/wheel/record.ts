import { createHash } from 'node:crypto';

/** RECORD's hash form: sha256=<urlsafe base64 without padding>. */
export function recordHash(data: Buffer): string {
  return `sha256=${createHash('sha256').update(data).digest('base64url')}`;
}

export interface RecordRow {
  path: string;
  hash: string;
  size: string;
}

/** RECORD is CSV; paths with commas or quotes are quoted. */
export function parseRecord(text: string): RecordRow[] {
  const rows: RecordRow[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const cells: string[] = [];
    let cell = '';
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i];
      if (quoted && ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') {
        quoted = !quoted;
      } else if (ch === ',' && !quoted) {
        cells.push(cell);
        cell = '';
      } else {
        cell += ch;
      }
    }
    cells.push(cell);
    rows.push({ path: cells[0] ?? '', hash: cells[1] ?? '', size: cells[2] ?? '' });
  }
  return rows;
}

const csvCell = (value: string): string => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

export function formatRecord(rows: readonly RecordRow[]): string {
  return rows.map((row) => [row.path, row.hash, row.size].map(csvCell).join(',')).join('\n') + '\n';
}
