import { runCli } from './cli/main';
import { PIPELINE, STEPS } from './registry';

process.exitCode = await runCli(process.argv.slice(2), [...STEPS, PIPELINE]);
