import type { SummaryBlock } from '../core/context';
import type { Combination } from './abi';
import type { LinuxReport } from '../wheel/manylinux';
import type { Served } from './coverage';

/*
 * The JSON report verify writes (docs/steps/verify.md: "The report"). `schema` changes only when a
 * field changes meaning or goes away; new fields may appear within a schema.
 */
export const REPORT_SCHEMA = 1;

export interface Report {
  schema: typeof REPORT_SCHEMA;
  package: string;
  /** The arch list asked for, normalized: ["8.0", "9.0a", "12.0+PTX"]. */
  requested: string[];
  /** GPU architectures every wheel runs on, by SASS or by PTX JIT. */
  archs: string[];
  passed: boolean;
  wheels: WheelReport[];
}

export interface WheelReport {
  file: string;
  name: string;
  project?: string;
  /** The package it was checked as (what `package: auto` resolved to). */
  package?: string;
  version?: string;
  passed: boolean;
  /** Every reason the wheel fails, one sentence each. */
  problems: string[];
  modules: ModuleReport[];
  /** Each GPU architecture the wheel runs on, and how: "sass", or "ptx" (JIT at load). */
  gpus: Record<string, 'sass' | 'ptx'>;
  import: ImportReport;
  dispatch: DispatchReport[];
  runtime: RuntimeReport;
  /** What the wheel claims beyond its build ("abi3 from Python 3.10"), when it claims anything. */
  abi?: string;
  /** Each Python x torch the wheel was installed and imported on (test-pythons, test-torches), or why not. */
  combinations?: Combination[];
  /** Linux wheels: the oldest glibc and manylinux policy their ELF files hold under. */
  linux?: LinuxReport;
}

export interface ModuleReport {
  module: string;
  path: string;
  format?: 'elf' | 'pe' | 'coff';
  /** Distinct GPU code: "sm_89", "sm_120a", "compute_90". */
  code: string[];
  /** Per requested arch: what serves it, and whether the package needs this module there. */
  archs: Record<string, { served: Served; required: boolean }>;
  error?: string;
}

export type Status = 'passed' | 'failed' | 'skipped';

export interface ImportReport {
  status: Status;
  python?: string;
  torch?: string;
  /** Each name imported, with Python's error when it failed. */
  modules: { module: string; error?: string }[];
  /** Why the test could not run or install. */
  error?: string;
}

export interface DispatchReport {
  capability: string;
  passed: boolean;
  /** The function the dispatcher picked, and the extension modules it reaches. */
  function?: string;
  modules?: string[];
  /** torch.ops namespaces the path reaches, each with the extension module that registers it (null: none does). */
  namespaces?: Record<string, string | null>;
  error?: string;
}

export interface RuntimeReport {
  status: Status;
  reason?: string;
  gpu?: string;
  capability?: string;
  cosine?: number;
  error?: string;
}

const CELL: Record<Served, string> = { sass: 'SASS', ptx: 'PTX (JIT)', 'sass+ptx': 'SASS+PTX', missing: 'missing' };
const mark = (passed: boolean) => (passed ? '✅' : '❌');

/** The job summary: per wheel, the module x arch table and each test's result. */
export function summaryBlocks(report: Report): SummaryBlock[] {
  const failed = report.wheels.filter((w) => !w.passed).length;
  const blocks: SummaryBlock[] = [
    {
      kind: 'text',
      text:
        `${mark(report.passed)} ${report.wheels.length - failed} of ${report.wheels.length} wheels passed` +
        ` (package ${report.package}, archs ${report.requested.join(';')}).` +
        (report.archs.length ? ` Every wheel runs on ${report.archs.join(', ')}.` : ''),
    },
  ];
  for (const wheel of report.wheels) {
    blocks.push({ kind: 'heading', text: `${mark(wheel.passed)} ${wheel.name}` });
    if (wheel.modules.length > 0) {
      blocks.push({
        kind: 'table',
        header: ['module', ...report.requested, 'GPU code'],
        rows: wheel.modules.map((m) => [
          m.module,
          ...report.requested.map((arch) => {
            const cell = m.archs[arch];
            if (!cell) return '';
            if (cell.served === 'missing') return cell.required ? '❌ missing' : '–';
            return cell.required ? CELL[cell.served] : `(${CELL[cell.served]})`;
          }),
          m.error ? `unreadable: ${m.error}` : m.code.join(', ') || 'none',
        ]),
      });
    }
    blocks.push({ kind: 'table', header: ['check', 'result'], rows: checkRows(wheel) });
    if (wheel.problems.length > 0) blocks.push({ kind: 'text', text: wheel.problems.map((p) => `- ${p}`).join('\n') });
  }
  return blocks;
}

function checkRows(wheel: WheelReport): string[][] {
  const imp = wheel.import;
  const rows = [
    [
      'import',
      imp.status === 'skipped'
        ? `skipped: ${imp.error ?? ''}`
        : `${mark(imp.status === 'passed')} ${imp.modules.length} modules, Python ${imp.python ?? '?'}, torch ${imp.torch ?? 'none'}` +
          (imp.error ? `: ${imp.error}` : ''),
    ],
  ];
  for (const d of wheel.dispatch) {
    const path = d.function ? `${d.function} -> ${(d.modules ?? []).join(', ') || 'no extension module'}` : d.error;
    rows.push([`dispatch on ${d.capability}`, `${mark(d.passed)} ${path ?? ''}`]);
  }
  if (wheel.linux) {
    const { glibc, policy, blockers } = wheel.linux;
    rows.push([
      'glibc',
      policy
        ? `installs on glibc >= ${glibc} (${policy})`
        : `no manylinux policy holds${glibc ? `; needs glibc >= ${glibc}` : ''}: ${blockers.join('; ')}`,
    ]);
  }
  const rt = wheel.runtime;
  const ran =
    rt.gpu &&
    `${rt.gpu} (${rt.capability})${rt.cosine === undefined ? '' : `, cosine ${rt.cosine.toFixed(4)} against SDPA`}`;
  if (wheel.abi) rows.push(['ABI claimed', wheel.abi]);
  for (const c of wheel.combinations ?? []) {
    const icon = c.status === 'passed' ? '✅' : c.status === 'failed' ? '❌' : '–';
    rows.push([
      `Python ${c.python}${c.torch ? `, torch ${c.torch}` : ''}`,
      `${icon} ${c.status}${c.error ? `: ${c.error}` : ''}`,
    ]);
  }
  rows.push([
    'runtime',
    rt.status === 'skipped'
      ? `skipped: ${rt.reason}`
      : `${mark(rt.status === 'passed')} ${[ran, rt.error].filter(Boolean).join(': ')}`,
  ]);
  return rows;
}
