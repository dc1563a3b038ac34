import { mergeNotes, notesSection } from '../publish/views';
import type { HubRepo } from './client';

export const CARD_NAME = 'README.md';

const encodePath = (path: string): string => path.split('/').map(encodeURIComponent).join('/');

/** The repository's web page (at the branch, when it is not main). */
export function repoUrl(endpoint: string, repo: HubRepo, revision: string): string {
  const base = `${endpoint}/${repo.type === 'dataset' ? 'datasets/' : ''}${repo.name}`;
  return revision === 'main' ? base : `${base}/tree/${encodeURIComponent(revision)}`;
}

/** What pip downloads: https://<endpoint>/<repo>/resolve/<revision>/<path>. */
export function resolveUrl(endpoint: string, repo: HubRepo, revision: string, path: string): string {
  return `${endpoint}/${repo.type === 'dataset' ? 'datasets/' : ''}${repo.name}/resolve/${encodeURIComponent(revision)}/${encodePath(path)}`;
}

/** The card of a repository sagewheels starts: metadata the Hub reads, a title, then the wheel section. */
function newCard(repo: HubRepo): string {
  return ['---', 'tags:', '- sagewheels', '- wheels', '---', '', `# ${repo.name.split('/')[1]}`, ''].join('\n');
}

/**
 * The model card with its wheel section (table and `pip install` lines) rebuilt from `wheels`;
 * what anyone wrote outside the section's markers stays.
 */
export function modelCard(current: string | undefined, repo: HubRepo, wheels: Parameters<typeof notesSection>[0]) {
  return `${mergeNotes(current ?? newCard(repo), notesSection(wheels)).trimEnd()}\n`;
}

/**
 * The GPU archs column of a card's wheel table, by the wheel's URL: the Hub keeps no other record
 * of them, and a job knows only its own wheels' archs.
 */
export function archsFromCard(card: string | undefined): Map<string, string[]> {
  const archs = new Map<string, string[]>();
  for (const line of (card ?? '').split('\n')) {
    const row = /^\| \[[^\]]+\]\(([^)]*)\) \| (.*) \|$/.exec(line);
    if (!row) continue;
    // Cells: Python, torch, CUDA, platform, GPU archs, size; a `|` inside a cell is written \|.
    const cells = row[2]!.split(/(?<!\\) \| /);
    const cell = cells[4]?.replace(/\\\|/g, '|');
    if (cells.length === 6 && cell && cell !== '—') archs.set(row[1]!, [cell]);
  }
  return archs;
}
