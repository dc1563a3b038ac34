import { mkdirSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import pkg from '../../package.json' with { type: 'json' };
import { inputsFor, parseInputFlags } from '../core/args';
import { checkedInputs, ConfigurationErrors } from '../core/check';
import { consoleContext } from '../core/console';
import { didYouMean } from '../core/did-you-mean';
import { ConfigurationError, errorMessage, StepFailed } from '../core/errors';
import { debugWanted, routeActionsDebug } from '../core/debug-lines';
import { mask } from '../core/secrets';
import type { Step } from '../core/step';
import { summaryText } from '../core/summary';
import { stepHelp, usage } from './help';

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

const defaultIo: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  env: process.env,
};

/** `sagewheels <step> --<input> value`: the same step function the action runs, in a terminal. */
export async function runCli(argv: readonly string[], steps: readonly Step[], io: CliIo = defaultIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage(steps));
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    io.out(`sagewheels ${pkg.version}\n`);
    return 0;
  }
  const step = steps.find((s) => s.spec.name === name);
  if (!step) {
    const near = didYouMean(
      name,
      steps.map((s) => s.spec.name),
    );
    io.err(`error: "${name}" is not a step${near ? `; did you mean ${near}?` : ''} (sagewheels --help lists them)\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(stepHelp(step.spec));
    return 0;
  }
  // @actions/tool-cache needs these; outside a runner they get a home of their own.
  io.env.RUNNER_TOOL_CACHE ??= path.join(homedir(), '.cache', 'sagewheels', 'tool-cache');
  io.env.RUNNER_TEMP ??= path.join(tmpdir(), 'sagewheels');
  mkdirSync(io.env.RUNNER_TEMP, { recursive: true });

  const verbose = debugWanted(io.env);
  const ctx = consoleContext({ write: io.err, verbose });
  // The libraries' own ::debug:: lines join the log's debug lines: shown only when verbose.
  const restoreStdout = routeActionsDebug((message) => ctx.log.debug(message));
  try {
    const values = inputsFor(step.spec, parseInputFlags(rest, [step.spec]));
    // Reading the inputs registers their secrets (tokens, URL passwords) with the masker.
    const inputs = await checkedInputs(step, values, io.env);
    const outputs = await step.run(inputs, ctx);
    finish(ctx.summary, outputs);
    return 0;
  } catch (error) {
    finish(ctx.summary, error instanceof StepFailed ? error.outputs : {});
    const lines = error instanceof ConfigurationErrors ? error.errors.map(errorMessage) : [errorMessage(error)];
    for (const line of lines) io.err(`error: ${line}\n`);
    if (!(error instanceof ConfigurationError || error instanceof StepFailed) && error instanceof Error && verbose) {
      io.err(`${mask(error.stack ?? '')}\n`);
    }
    return 1;
  } finally {
    restoreStdout();
  }

  function finish(summary: typeof ctx.summary, outputs: Record<string, string>) {
    if (summary.length > 0) io.err(`\n${summaryText(summary)}`);
    for (const [output, value] of Object.entries(outputs)) io.out(`${output}=${mask(value)}\n`);
  }
}
