import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { PIPELINE, STEPS } from '../src/registry';

// The copy-ready workflows must work unedited on any package's source, and a daily run must never
// be blocked by one combination that fails.
const root = path.resolve(import.meta.dirname, '..');

interface Step {
  uses?: string;
  if?: string;
  with?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  if?: string;
  strategy?: { 'fail-fast'?: boolean };
  steps?: Step[];
}
interface Workflow {
  jobs: Record<string, Job>;
}

const read = async (file: string) => YAML.parse(await readFile(path.join(root, file), 'utf8')) as Workflow;

const sagewheelsSpec = (uses = '') => {
  const match = /^sagewheels\/sagewheels(?:\/actions\/([a-z-]+))?@/.exec(uses);
  if (!match) return undefined;
  return match[1] ? STEPS.find((s) => s.spec.name === match[1])?.spec : PIPELINE.spec;
};

/**
 * A job's `if:` as GitHub would decide it, for the part of the expression language the workflows
 * use (contexts, string literals, ==, !=, &&, ||, !, parentheses, cancelled(), always(), success()).
 */
function decide(condition: string, needs: Record<string, { result: string }>, inputs: Record<string, string> = {}) {
  const expression = condition.replace(/^\$\{\{([\s\S]*)\}\}$/, '$1');
  if (/[^\w\s.'()!=&|-]/.test(expression)) throw new Error(`not in the subset this test reads: ${expression}`);
  const evaluate = new Function('needs', 'inputs', 'cancelled', 'always', 'success', `return (${expression});`);
  const success = () => Object.values(needs).every((job) => job.result === 'success');
  return Boolean(
    evaluate(
      needs,
      inputs,
      () => false,
      () => true,
      success,
    ),
  );
}

const copyReady = (await readdir(path.join(root, 'workflows'))).map((f) => `workflows/${f}`);

describe.each(copyReady)('%s', (file) => {
  it('lets package: auto recognise the package, so it works unedited on any source', async () => {
    const workflow = await read(file);
    const packages: string[] = [];
    for (const job of Object.values(workflow.jobs))
      for (const step of job.steps ?? []) {
        const spec = sagewheelsSpec(step.uses);
        if (spec && 'package' in spec.inputs) packages.push(step.with?.package ?? spec.inputs.package!.default!);
      }
    expect(packages.length).toBeGreaterThan(0);
    expect(new Set(packages)).toEqual(new Set(['auto']));
  });

  it('plans with skip-published on the tag it publishes to, so a rerun builds only what is missing', async () => {
    const workflow = await read(file);
    const steps = Object.values(workflow.jobs).flatMap((job) => job.steps ?? []);
    const plan = steps.find((s) => s.uses?.startsWith('sagewheels/sagewheels/actions/matrix@'));
    const publish = steps.find((s) => s.uses?.startsWith('sagewheels/sagewheels/actions/publish@'));
    expect(plan?.with?.['skip-published']).toBeTruthy();
    expect(plan?.with?.['skip-published']).toBe(publish?.with?.tag);
  });
});

describe('workflows/torch-latest.yml', () => {
  const file = 'workflows/torch-latest.yml';

  it('builds every combination even when one fails (fail-fast: false)', async () => {
    const { jobs } = await read(file);
    expect(jobs.wheels!.strategy?.['fail-fast']).toBe(false);
  });

  it('publishes what passed when a wheel job failed, and nothing when there was nothing to build', async () => {
    const { jobs } = await read(file);
    const publish = jobs.publish!;
    expect(publish.needs).toEqual(expect.arrayContaining(['plan', 'wheels']));
    const runs = (wheels: string) =>
      decide(publish.if ?? 'success()', { plan: { result: 'success' }, wheels: { result: wheels } });
    expect(runs('failure')).toBe(true);
    expect(runs('success')).toBe(true);
    expect(runs('skipped')).toBe(false);
  });

  it("gathers only the artifacts that exist, and lists each missing combination with verify's reason", async () => {
    const { jobs } = await read(file);
    const wheelSteps = jobs.wheels!.steps!;
    const uploads = wheelSteps.filter((s) => s.uses?.startsWith('actions/upload-artifact@'));
    // The wheel only when build and verify passed; the report also when they failed.
    const wheel = uploads.find((s) => s.with?.name?.startsWith('wheel-'));
    const report = uploads.find((s) => s.with?.name?.startsWith('report-'));
    expect(wheel?.if).toBeUndefined();
    expect(report?.if).toContain('!cancelled()');
    const downloads = jobs.publish!.steps!.filter((s) => s.uses?.startsWith('actions/download-artifact@'));
    expect(downloads.map((s) => s.with?.pattern)).toEqual(['wheel-*', 'report-*']);
    expect(downloads.every((s) => s.with?.name === undefined)).toBe(true);
    const publish = jobs.publish!.steps!.find((s) => s.uses?.startsWith('sagewheels/sagewheels/actions/publish@'));
    expect(publish?.with?.matrix).toBe('${{ needs.plan.outputs.matrix }}');
    expect(publish?.with?.report).toBe('reports/**/*.json');
  });
});

it('reads job conditions as GitHub does for release-wheels.yml: all-or-nothing unless asked', async () => {
  const { jobs } = await read('workflows/release-wheels.yml');
  const condition = jobs.publish!.if!;
  const needs = (wheels: string) => ({ plan: { result: 'success' }, wheels: { result: wheels } });
  expect(decide(condition, needs('failure'))).toBe(false);
  expect(decide(condition, needs('failure'), { partial: 'publish-what-passed' })).toBe(true);
  expect(decide(condition, needs('success'))).toBe(true);
});
