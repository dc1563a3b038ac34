import fc from 'fast-check';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Inputs } from '../../src/core/step';
import { runPublish, step } from '../../src/steps/publish';
import { FakeGitHub } from '../fakes/github';
import { FakeHub } from '../fakes/hub';
import { recordingContext } from '../helpers/context';
import { SECOND_MS, validWheelFiles, wheelName } from '../publish/helpers';
import { REPO } from './helpers';

const HF_WRITE = 'hf_order_write_0123456789abcdef0123';
const HF_READ = 'hf_order_read_0123456789abcdef01234';
const GH_TOKEN = 'ghs_order_token_0123456789abcdef0123';

/** A request that changes something on a server (the Hub's whoami and listings are reads). */
const isWrite = (request: { method: string }) => !['GET', 'HEAD'].includes(request.method);

// Issue 29.5, as a class: whatever is wrong with whichever target, nothing is written to any
// target; with nothing wrong, both get every wheel.
describe('publish to several targets: every credential is checked before the first write', () => {
  let hub: FakeHub;
  let github: FakeGitHub;
  let files: Awaited<ReturnType<typeof validWheelFiles>>;
  beforeAll(async () => {
    hub = await new FakeHub({ [HF_WRITE]: 'write', [HF_READ]: 'read' }).start();
    github = await new FakeGitHub(GH_TOKEN).start();
    files = await validWheelFiles([wheelName(0)]);
  });
  afterAll(async () => {
    await hub.stop();
    await github.stop();
    await rm(files.dir, { recursive: true, force: true });
  });

  it('writes nothing anywhere while any target has a fault', async () => {
    const faults = fc.record({
      order: fc.constantFrom('github-release,huggingface', 'huggingface,github-release'),
      hfToken: fc.constantFrom(HF_WRITE, HF_READ, 'hf_order_unknown_0123456789abcdef', ''),
      ghToken: fc.constantFrom(GH_TOKEN, 'ghs_order_wrong_0123456789abcdef012', ''),
      tag: fc.constantFrom('v1', '', '../x', 'a..b'),
      repository: fc.constantFrom('octo/wheels', 'octo/wheels/x', ''),
    });
    await fc.assert(
      fc.asyncProperty(faults, async (f) => {
        hub.repos.clear();
        hub.requests.length = 0;
        hub.addRepo('model', REPO);
        github.releases.length = 0;
        github.requests.length = 0;
        const env = {
          GITHUB_REPOSITORY: f.repository,
          GITHUB_SHA: 'f00dfeed',
          GITHUB_WORKSPACE: files.dir,
          GITHUB_API_URL: github.url,
          GITHUB_SERVER_URL: 'https://github.com',
        };
        const raw = {
          target: f.order,
          wheels: '*.whl',
          tag: f.tag,
          token: f.ghToken,
          'hf-repo': REPO,
          'hf-token': f.hfToken,
          'hf-endpoint': hub.url,
        };
        let error: unknown;
        try {
          await runPublish(new Inputs(step.spec, raw, env), recordingContext(), env, SECOND_MS);
        } catch (e) {
          error = e;
        }
        const faulty =
          f.hfToken !== HF_WRITE || f.ghToken !== GH_TOKEN || f.tag !== 'v1' || f.repository !== 'octo/wheels';
        if (faulty) {
          expect(error).toBeDefined();
          expect(github.requests.filter(isWrite)).toEqual([]);
          expect(hub.requests.filter(isWrite)).toEqual([]);
        } else {
          expect(error).toBeUndefined();
          expect(github.releasesTagged('v1')[0]!.assets.some((a) => a.name === files.wheels[0]!.name)).toBe(true);
          expect([...hub.tree(REPO).keys()].some((p) => p.endsWith('.whl'))).toBe(true);
        }
      }),
      {
        numRuns: 60,
        // The cases a uniform draw rarely reaches: nothing wrong, and one wrong credential alone.
        examples: [
          [
            {
              order: 'github-release,huggingface',
              hfToken: HF_WRITE,
              ghToken: GH_TOKEN,
              tag: 'v1',
              repository: 'octo/wheels',
            },
          ],
          [
            {
              order: 'huggingface,github-release',
              hfToken: HF_WRITE,
              ghToken: GH_TOKEN,
              tag: 'v1',
              repository: 'octo/wheels',
            },
          ],
          [
            {
              order: 'huggingface,github-release',
              hfToken: HF_WRITE,
              ghToken: 'ghs_order_wrong_0123456789abcdef012',
              tag: 'v1',
              repository: 'octo/wheels',
            },
          ],
          [
            {
              order: 'github-release,huggingface',
              hfToken: HF_READ,
              ghToken: GH_TOKEN,
              tag: 'v1',
              repository: 'octo/wheels',
            },
          ],
        ],
      },
    );
  }, 120_000);
});
