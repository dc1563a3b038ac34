import type { Context } from '../../src/core/context';

/** A step context that records what the step said and exported, for assertions. */
export interface RecordingContext extends Context {
  lines: { level: 'info' | 'debug' | 'notice' | 'warning' | 'group'; message: string }[];
  exported: Record<string, string>;
  paths: string[];
  secrets: string[];
  /** Everything logged, one line each, for substring assertions. */
  text(): string;
}

export function recordingContext(): RecordingContext {
  const ctx: RecordingContext = {
    lines: [],
    exported: {},
    paths: [],
    secrets: [],
    summary: [],
    log: {
      info: (message) => void ctx.lines.push({ level: 'info', message }),
      debug: (message) => void ctx.lines.push({ level: 'debug', message }),
      notice: (message) => void ctx.lines.push({ level: 'notice', message }),
      warning: (message) => void ctx.lines.push({ level: 'warning', message }),
      group: async (title, body) => {
        ctx.lines.push({ level: 'group', message: title });
        return body();
      },
    },
    env: {
      set: (name, value) => void (ctx.exported[name] = value),
      addPath: (dir) => void ctx.paths.push(dir),
      secret: (value) => void ctx.secrets.push(value),
    },
    text: () => ctx.lines.map((line) => `${line.level}: ${line.message}`).join('\n'),
  };
  return ctx;
}
