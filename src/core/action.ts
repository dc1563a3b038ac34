import * as bundledCore from '@actions/core';
import type { Context } from './context';
import { ConfigurationError, errorMessage, StepFailed } from './errors';
import { checkedInputs } from './check';
import { inputSecrets, type Step } from './step';
import { addSecret, mask } from './secrets';
import { summaryMarkdown } from './summary';

export type Core = typeof bundledCore;

/**
 * @actions/core as this process should use it: an installed copy beside the action first, else
 * the one bundled into dist/. @github/local-action replaces the installed copy (node_modules) to
 * show a step's outputs; the bundled copy would bypass it. A runner has no node_modules beside dist/.
 */
export async function actionsCore(): Promise<Core> {
  // A variable specifier, so that esbuild leaves the import to run time.
  const specifier = '@actions/core';
  try {
    return (await import(specifier)) as Core;
  } catch {
    return bundledCore;
  }
}

export function actionContext(core: Core = bundledCore): Context {
  return {
    log: {
      // The runner masks what setSecret registered; the rest of `mask` (URL passwords, tokens a server echoed) is ours.
      info: (message) => core.info(mask(message)),
      debug: (message) => core.debug(mask(message)),
      notice: (message) => core.notice(mask(message)),
      warning: (message) => core.warning(mask(message)),
      group: (title, body) => core.group(title, body),
    },
    env: {
      set: (name, value) => core.exportVariable(name, value),
      addPath: (dir) => core.addPath(dir),
      secret: (value) => {
        addSecret(value);
        if (value) core.setSecret(value);
      },
    },
    summary: [],
  };
}

/** The whole of a step's action entry: inputs from the runner, outputs and summary back to it. */
export async function runAction<I extends string, O extends string>(
  step: Step<I, O>,
  core: Core = bundledCore,
): Promise<void> {
  const ctx = actionContext(core);
  try {
    const raw: Record<string, string> = {};
    for (const name of Object.keys(step.spec.inputs)) raw[name] = core.getInput(name);
    for (const secret of inputSecrets(step.spec, raw)) ctx.env.secret(secret);
    // Every mistake in the inputs at once, one line each, before the step does anything.
    const outputs = await step.run(await checkedInputs(step, raw), ctx);
    for (const [name, value] of Object.entries<string>(outputs)) core.setOutput(name, mask(value));
  } catch (error) {
    if (error instanceof StepFailed)
      for (const [name, value] of Object.entries(error.outputs)) core.setOutput(name, mask(value));
    // A user error is one line; anything else keeps its stack in the debug log.
    if (!(error instanceof ConfigurationError || error instanceof StepFailed) && error instanceof Error && error.stack)
      core.debug(mask(error.stack));
    core.setFailed(errorMessage(error));
  } finally {
    if (ctx.summary.length > 0 && process.env.GITHUB_STEP_SUMMARY) {
      await core.summary.addRaw(summaryMarkdown(ctx.summary)).write();
    }
  }
}
