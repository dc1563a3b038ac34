/** What a step may do to the world around it; the action, the CLI and tests each supply one. */
export interface Log {
  info(message: string): void;
  debug(message: string): void;
  notice(message: string): void;
  warning(message: string): void;
  /** Collapsible in the Actions log; the body's own lines stay inside. */
  group<T>(title: string, body: () => Promise<T>): Promise<T>;
}

export interface Env {
  /** Set for this process and for the job's later steps. */
  set(name: string, value: string): void;
  /** Prepend to PATH for this process and for the job's later steps. */
  addPath(dir: string): void;
  /** Mask this value in every log. */
  secret(value: string): void;
}

export type SummaryBlock =
  | { kind: 'heading'; text: string }
  | { kind: 'text'; text: string }
  | { kind: 'table'; header: string[]; rows: string[][] }
  | { kind: 'details'; label: string; body: string };

export interface Context {
  log: Log;
  env: Env;
  /** Blocks of the job summary, written once when the step ends. */
  summary: SummaryBlock[];
}
