import type { Context } from './context';
import { addSecret, mask } from './secrets';

export interface ConsoleOptions {
  /** Where log lines go; stderr keeps stdout for outputs. */
  write?: (text: string) => void;
  /** Show debug lines, and every line inside groups (otherwise a group shows its title and time). */
  verbose?: boolean;
  now?: () => number;
}

/**
 * A step context for a terminal: groups print their title and how long they took (their lines
 * only when verbose, or the last of them when the group fails), warnings and notices are marked,
 * exports land in this process's environment for the steps that follow.
 */
export function consoleContext(options: ConsoleOptions = {}): Context & { exported: Record<string, string> } {
  const write = options.write ?? ((text: string) => void process.stderr.write(text));
  const now = options.now ?? Date.now;
  let depth = 0;
  // Lines of the open groups, held back unless verbose.
  let held: string[] | undefined;
  const line = (prefix: string, message: string, always = false) => {
    const text = mask(message);
    const indent = '  '.repeat(depth);
    const lines = text.split('\n').map((l) => `${indent}${prefix}${l}`);
    if (held && !always) held.push(...lines);
    else write(lines.join('\n') + '\n');
  };
  const exported: Record<string, string> = {};
  return {
    exported,
    summary: [],
    log: {
      info: (message) => line('', message),
      debug: (message) => (options.verbose ? line('debug: ', message) : undefined),
      notice: (message) => line('notice: ', message, true),
      warning: (message) => line('warning: ', message, true),
      group: async (title, body) => {
        line('▸ ', title, true);
        const start = now();
        const outer = held;
        if (!options.verbose) held = [];
        depth++;
        try {
          return await body();
        } catch (error) {
          if (held?.length) write(`${held.slice(-40).join('\n')}\n`);
          throw error;
        } finally {
          depth--;
          held = outer;
          line('  ', `(${((now() - start) / 1000).toFixed(1)} s)`, true);
        }
      },
    },
    env: {
      set: (name, value) => {
        process.env[name] = value;
        exported[name] = value;
      },
      addPath: (dir) => {
        const sep = process.platform === 'win32' ? ';' : ':';
        process.env.PATH = `${dir}${sep}${process.env.PATH ?? ''}`;
        exported.PATH = process.env.PATH;
      },
      secret: addSecret,
    },
  };
}
