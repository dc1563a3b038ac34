const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
const undos = new Set<() => void>();
const cancelling = new AbortController();

/**
 * Aborted when SIGINT or SIGTERM arrives while nothing stoppable runs (see stopOnSignal): every
 * request and retry wait carries it, so none starts or keeps waiting after a cancel.
 */
export const cancelSignal: AbortSignal = cancelling.signal;
const stoppers = new Set<AbortController>();
/** The signal that came while stoppable work ran: it ends the process once that work has settled. */
let deferred: NodeJS.Signals | undefined;
let listening = false;

/** Listens for the signals exactly while there is something to undo or stop. */
function listen(): void {
  const wanted = undos.size > 0 || stoppers.size > 0;
  if (wanted === listening) return;
  for (const s of SIGNALS) {
    if (wanted) process.on(s, onSignal);
    else process.off(s, onSignal);
  }
  listening = wanted;
}

/**
 * Stoppable work running: aborts it and waits for it. Otherwise runs every registered undo
 * (newest first), then lets the signal end the process as it would have.
 */
function onSignal(signal: NodeJS.Signals): void {
  if (stoppers.size > 0) {
    // Not cancelSignal: the stopped work still makes the requests that take back what it added.
    deferred ??= signal;
    for (const stopper of stoppers) stopper.abort(signal);
    return;
  }
  cancelling.abort(signal);
  for (const undo of [...undos].reverse()) {
    try {
      undo();
    } catch {
      // the rest must still run
    }
  }
  undos.clear();
  listen();
  process.kill(process.pid, signal);
}

/**
 * Registers a synchronous undo (remove a lock, a staging or temp folder) for when SIGINT or SIGTERM
 * ends the process (Ctrl-C, a cancelled job), so that nothing is left to block or slow the next
 * run. Returns the function that unregisters it once the work is done.
 */
export function undoOnSignal(undo: () => void): () => void {
  undos.add(undo);
  listen();
  return () => {
    undos.delete(undo);
    listen();
  };
}

/**
 * Runs `work` with an AbortSignal that SIGINT or SIGTERM aborts, for work that must stop cleanly
 * rather than die midway (publish takes back what it added). The signal then ends the process
 * once `work` has settled, after the caller has reported how it ended.
 */
export async function stopOnSignal<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const stopper = new AbortController();
  stoppers.add(stopper);
  listen();
  try {
    return await work(stopper.signal);
  } finally {
    stoppers.delete(stopper);
    const signal = stoppers.size === 0 ? deferred : undefined;
    if (signal) {
      deferred = undefined;
      // After the rejection or result has reached the caller (the step's error line is written).
      setImmediate(() => onSignal(signal));
    } else listen();
  }
}
