import { mask } from './secrets';

/**
 * A problem the user must fix (a bad input, an impossible combination).
 * Everything else that is thrown is a bug or an outside failure.
 */
export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}

/** One line naming the input at fault, what was given, and what is allowed. */
export function inputError(input: string, given: string, allowed: string): ConfigurationError {
  return new ConfigurationError(`${input}: ${given}. ${allowed}`);
}

/** An error as it may be printed: secrets masked. */
export function errorMessage(error: unknown): string {
  return mask(error instanceof Error ? error.message : String(error));
}

/**
 * A step that ran to the end and found what it checks wrong: the action still sets these
 * outputs (a report to upload, say) before it fails.
 */
export class StepFailed extends Error {
  override name = 'StepFailed';
  constructor(
    message: string,
    readonly outputs: Record<string, string>,
  ) {
    super(message);
  }
}
