/**
 * The @actions/* libraries (tool-cache, http-client, core) write `::debug::` lines to stdout
 * themselves. A runner hides them unless step debugging is on; a terminal or a test run would
 * show every one. Until the returned function is called, each goes to `to`, or nowhere.
 */
export function routeActionsDebug(to?: (message: string) => void): () => void {
  const stdout = process.stdout;
  const write = stdout.write;
  stdout.write = function (this: typeof stdout, chunk: unknown, ...rest: unknown[]) {
    if (typeof chunk === 'string' && chunk.startsWith('::debug::')) {
      // Undo @actions/core's escaping of the message.
      const message = chunk.slice('::debug::'.length).trimEnd();
      to?.(message.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%'));
      return true;
    }
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof stdout.write;
  return () => {
    stdout.write = write;
  };
}

/** Debugging asked for: SAGEWHEELS_VERBOSE=1 (or the older SAGEWHEELS_DEBUG=1), or a runner's RUNNER_DEBUG=1. */
export const debugWanted = (env: NodeJS.ProcessEnv): boolean =>
  env.SAGEWHEELS_VERBOSE === '1' || env.SAGEWHEELS_DEBUG === '1' || env.RUNNER_DEBUG === '1';
