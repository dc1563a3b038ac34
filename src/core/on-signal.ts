const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
const undos = new Set<() => void>();
const cancelling = new AbortController();

/**
 * Aborted when SIGINT or SIGTERM arrives (while an undo is registered, so the signal is caught):
 * every request and retry wait carries it, so none starts or keeps waiting after a cancel.
 */
export const cancelSignal: AbortSignal = cancelling.signal;

/** Runs every registered undo (newest first), then lets the signal end the process as it would have. */
function onSignal(signal: NodeJS.Signals): void {
  cancelling.abort(signal);
  for (const undo of [...undos].reverse()) {
    try {
      undo();
    } catch {
      // the rest must still run
    }
  }
  undos.clear();
  for (const s of SIGNALS) process.off(s, onSignal);
  process.kill(process.pid, signal);
}

/**
 * Registers a synchronous undo (remove a lock, a staging or temp folder) for when SIGINT or SIGTERM
 * ends the process (Ctrl-C, a cancelled job), so that nothing is left to block or slow the next
 * run. Returns the function that unregisters it once the work is done.
 */
export function undoOnSignal(undo: () => void): () => void {
  if (undos.size === 0) for (const s of SIGNALS) process.on(s, onSignal);
  undos.add(undo);
  return () => {
    undos.delete(undo);
    if (undos.size === 0) for (const s of SIGNALS) process.off(s, onSignal);
  };
}
