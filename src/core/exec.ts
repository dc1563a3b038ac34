import * as actionsExec from '@actions/exec';

export interface ExecOptions {
  cwd?: string;
  /** The child's whole environment; defaults to this process's. */
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** Each line as it arrives, stdout and stderr alike. */
  onLine?: (line: string) => void;
  /**
   * Windows: join the arguments with spaces and quote none, for programs that parse their command
   * line themselves (cmd.exe /s /c "..."). Ignored elsewhere.
   */
  windowsVerbatimArguments?: boolean;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program with an argument array (never a shell line); a non-zero exit is returned, not thrown. */
export type ProcessRunner = (command: string, args: readonly string[], options?: ExecOptions) => Promise<ExecResult>;

export const runProcess: ProcessRunner = async (command, args, options = {}) => {
  const env = options.env ?? process.env;
  const result = await actionsExec.getExecOutput(command, [...args], {
    cwd: options.cwd,
    env: Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined)),
    input: options.input === undefined ? undefined : Buffer.from(options.input),
    silent: true,
    ignoreReturnCode: true,
    windowsVerbatimArguments: options.windowsVerbatimArguments,
    listeners: options.onLine ? { stdline: options.onLine, errline: options.onLine } : undefined,
  });
  return { code: result.exitCode, stdout: result.stdout, stderr: result.stderr };
};

/** Like runProcess, but a non-zero exit throws with the command and the end of its output. */
export async function runChecked(
  command: string,
  args: readonly string[],
  options?: ExecOptions,
  runner: ProcessRunner = runProcess,
): Promise<ExecResult> {
  const result = await runner(command, args, options);
  if (result.code !== 0) {
    const tail = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-20).join('\n');
    throw new Error(`${command} ${args.join(' ')} exited with ${result.code}\n${tail}`);
  }
  return result;
}
