/**
 * A problem the user can fix (a bad spec, a missing file, a corrupt dataset). The CLI prints its message as
 * one line and exits 2; anything else that escapes is an internal failure (exit 1).
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(
    message: string,
    /** Extra lines shown under the message, e.g. every schema problem of a spec. */
    readonly details: readonly string[] = [],
  ) {
    super(message);
  }
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError;
}
