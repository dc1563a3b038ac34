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

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
