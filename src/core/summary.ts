import type { SummaryBlock } from './context';
import { mask } from './secrets';

// Masked before escaping: an escaped secret (a | in it) would no longer match.
const escapeCell = (cell: string): string => mask(cell).replace(/\|/g, '\\|').replace(/\n/g, '<br>');

/** GitHub-flavoured Markdown, as the job summary renders it. */
export function summaryMarkdown(blocks: readonly SummaryBlock[]): string {
  return mask(summaryBlocks(blocks));
}

function summaryBlocks(blocks: readonly SummaryBlock[]): string {
  return blocks
    .map((block) => {
      switch (block.kind) {
        case 'heading':
          return `### ${block.text}`;
        case 'text':
          return block.text;
        case 'table':
          return [block.header, block.header.map(() => '---'), ...block.rows]
            .map((row) => `| ${row.map(escapeCell).join(' | ')} |`)
            .join('\n');
        case 'details':
          return `<details><summary>${block.label}</summary>\n\n\`\`\`\n${block.body}\n\`\`\`\n\n</details>`;
      }
    })
    .join('\n\n')
    .concat('\n');
}

/** Plain text for a terminal: tables with padded columns. */
export function summaryText(blocks: readonly SummaryBlock[]): string {
  return mask(textBlocks(blocks));
}

function textBlocks(blocks: readonly SummaryBlock[]): string {
  return blocks
    .map((block) => {
      switch (block.kind) {
        case 'heading':
          return `== ${block.text} ==`;
        case 'text':
          return block.text;
        case 'table': {
          const rows = [block.header, ...block.rows];
          const widths = block.header.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
          const line = (row: string[]) =>
            row
              .map((cell, i) => cell.padEnd(widths[i] ?? 0))
              .join('  ')
              .trimEnd();
          return [line(block.header), widths.map((w) => '-'.repeat(w)).join('  '), ...block.rows.map(line)].join('\n');
        }
        case 'details':
          return `${block.label}:\n${block.body}`;
      }
    })
    .join('\n\n')
    .concat('\n');
}
