import type { SummaryBlock } from '../core/context';
import type { MatrixEntry, Plan } from './plan';
import { ENTRY_KEYS } from './rules';

const cell = (value: unknown): string =>
  typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);

const describe = (entry: MatrixEntry): string =>
  `torch ${entry.torch}, CUDA ${entry.cuda}, Python ${entry.python}, ${entry.platform}`;

/** The plan as the job summary shows it, and the CLI prints it. */
export function planSummary(plan: Plan, releaseTag?: string, releasesSource?: string): SummaryBlock[] {
  const count = plan.entries.length;
  const blocks: SummaryBlock[] = [{ kind: 'heading', text: `Build matrix: ${count} ${count === 1 ? 'job' : 'jobs'}` }];
  if (count > 0) {
    // Keys an include added (a runner label, say) get columns of their own.
    const extra = [...new Set(plan.entries.flatMap((e) => Object.keys(e)))].filter(
      (key) => !(ENTRY_KEYS as readonly string[]).includes(key),
    );
    const header = [...ENTRY_KEYS, ...extra];
    blocks.push({ kind: 'table', header, rows: plan.entries.map((e) => header.map((key) => cell(e[key]))) });
  } else {
    blocks.push({ kind: 'text', text: `Nothing to build: every planned wheel is already on release ${releaseTag}.` });
  }
  if (plan.collapse) blocks.push({ kind: 'text', text: plan.collapse });
  if (releasesSource) blocks.push({ kind: 'text', text: releasesSource });
  if (plan.published.length > 0) {
    blocks.push({
      kind: 'details',
      label: `${plan.published.length} already on release ${releaseTag}, skipped`,
      body: plan.published.map(describe).join('\n'),
    });
  }
  if (plan.leftOut.length > 0) {
    blocks.push({ kind: 'details', label: `${plan.leftOut.length} left out`, body: plan.leftOut.join('\n') });
  }
  return blocks;
}
