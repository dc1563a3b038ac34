import path from 'node:path';
import { DefaultArtifactClient } from '@actions/artifact';
import type { Log } from '../core/context';
import { inputError } from '../core/errors';
import { isEnterpriseServer } from '../github/client';
import { RetryPolicy, systemClock } from '../http/policy';
import type { ConflictPolicy } from './publish';
import type { LocalWheel } from './wheels';

export interface ArtifactResult {
  name: string;
  action: 'create' | 'replace' | 'skip';
  id?: number;
}

/** One workflow artifact per wheel, named after the wheel (so names differ across matrix jobs as the wheels do). */
export interface Artifacts {
  /** Refuses conflicts under `fail` before anything is uploaded. */
  plan(wheels: readonly LocalWheel[], policy: ConflictPolicy): Promise<ArtifactResult[]>;
  upload(plan: readonly ArtifactResult[], wheels: readonly LocalWheel[]): Promise<ArtifactResult[]>;
}

/**
 * @actions/artifact (the artifact service of the running workflow), or undefined with a warning
 * where it cannot run: GitHub Enterprise Server (v2+ of the client does not support it) or
 * outside a workflow run.
 */
export function workflowArtifacts(env: NodeJS.ProcessEnv, log: Log, secondMs = 1000): Artifacts | undefined {
  if (isEnterpriseServer(env.GITHUB_SERVER_URL)) {
    log.warning(
      'artifact: workflow artifacts are skipped on GitHub Enterprise Server, where @actions/artifact v2+ does not run; the wheels are on the release',
    );
    return undefined;
  }
  if (!env.ACTIONS_RUNTIME_TOKEN || !env.ACTIONS_RESULTS_URL) {
    log.warning(
      'artifact: no artifact service here (ACTIONS_RUNTIME_TOKEN and ACTIONS_RESULTS_URL are set only inside a workflow run); skipped',
    );
    return undefined;
  }
  const client = new DefaultArtifactClient();
  return {
    async plan(wheels, policy) {
      const existing = new Set((await client.listArtifacts()).artifacts.map((a) => a.name));
      const taken = wheels.filter((w) => existing.has(w.name)).map((w) => w.name);
      if (taken.length > 0 && policy === 'fail') {
        throw inputError(
          'on-conflict',
          `fail, and this workflow run already has artifact(s) ${taken.join(', ')}`,
          'Use overwrite to replace them or skip to keep them',
        );
      }
      return wheels.map((w) => ({
        name: w.name,
        action: !existing.has(w.name) ? 'create' : policy === 'overwrite' ? 'replace' : 'skip',
      }));
    },
    async upload(plan, wheels) {
      const results: ArtifactResult[] = [];
      for (const item of plan) {
        const wheel = wheels.find((w) => w.name === item.name)!;
        if (item.action === 'skip') {
          log.info(`artifact ${item.name} exists in this run; skipped (on-conflict: skip)`);
          results.push(item);
          continue;
        }
        if (item.action === 'replace') await client.deleteArtifact(item.name);
        // Wheels are zip files already: storing them uncompressed saves time and nothing else.
        const upload = () =>
          client.uploadArtifact(item.name, [wheel.path], path.dirname(wheel.path), { compressionLevel: 0 });
        const { id } = await (item.action === 'replace' ? afterDelete(item.name, upload, log, secondMs) : upload());
        log.info(`artifact ${item.name}: ${item.action === 'replace' ? 'replaced' : 'uploaded'} (id ${id})`);
        results.push({ ...item, id });
      }
      return results;
    },
  };
}

/**
 * The artifact service answers 409 "already exists" for a while after a name was deleted: the
 * upload of its replacement is tried again, 1, 2, 4, 8 and 16 s later.
 */
function afterDelete<T>(name: string, upload: () => Promise<T>, log: Log, secondMs: number): Promise<T> {
  const policy = new RetryPolicy({ retries: 5, backoff: (attempt) => 2 ** attempt, clock: systemClock(secondMs), log });
  return policy.run(`artifact ${name}`, upload, (error) =>
    /\(409\)/.test((error as Error).message) ? { why: 'the service still holds the deleted one (409)' } : undefined,
  );
}
