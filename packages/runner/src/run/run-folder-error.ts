/**
 * A run that failed after its folder was made: the error it failed with (`cause`, unchanged, so that callers
 * still tell a user error from a divergence) and the folder it left, marked failed, diverged or interrupted.
 */
export class RunFolderError extends Error {
  constructor(
    readonly runDir: string,
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'RunFolderError';
  }
}

/** The error a run failed with, and its folder where it got one. */
export function runFailure(error: unknown): { readonly error: unknown; readonly runDir?: string } {
  return error instanceof RunFolderError ? { error: error.cause, runDir: error.runDir } : { error };
}
