/** A build that ran and failed: one line of cause and remedy, and the end of the log. */
export class BuildFailure extends Error {
  override name = 'BuildFailure';
  constructor(
    message: string,
    readonly logTail: string,
    /** The package that was being built (what `auto` resolved to). */
    readonly packageName?: string,
  ) {
    super(message);
  }
}
