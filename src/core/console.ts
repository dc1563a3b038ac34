import type { Context } from './context';

export interface ConsoleOptions {
  /** Where log lines go; stderr keeps stdout for outputs. */
  write?: (text: string) => void;
  /** Show debug lines. */
  verbose?: boolean;
  now?: () => number;
}

/**
 * A step context for a terminal: groups print their title and how long they took, warnings and
 * notices are marked, exports land in this process's environment for the steps that follow.
 */
export function consoleContext(options: ConsoleOptions = {}): Context & { exported: Record<string, string> } {
  const write = options.write ?? ((text: string) => void process.stderr.write(text));
  const now = options.now ?? Date.now;
  const secrets: string[] = [];
  let depth = 0;
  const line = (prefix: string, message: string) => {
    let text = message;
    for (const secret of secrets) text = text.split(secret).join('***');
    const indent = '  '.repeat(depth);
    write(text.split('\n').map((l) => `${indent}${prefix}${l}`).join('\n') + '\n');
  };
  const exported: Record<string, string> = {};
  return {
    exported,
    summary: [],
    log: {
      info: (message) => line('', message),
      debug: (message) => (options.verbose ? line('debug: ', message) : undefined),
      notice: (message) => line('notice: ', message),
      warning: (message) => line('warning: ', message),
      group: async (title, body) => {
        line('▸ ', title);
        const start = now();
        depth++;
        try {
          return await body();
        } finally {
          depth--;
          line('  ', `(${((now() - start) / 1000).toFixed(1)} s)`);
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
      secret: (value) => {
        if (value) secrets.push(value);
      },
    },
  };
}
