/**
 * File-system faults are the user's to fix (a read-only or full disk, a file where a folder should be, a
 * folder removed under a running run), so they are reported as one sentence naming the path and the
 * cause, with exit code 2, not as internal errors.
 */
const CAUSES: Record<string, string> = {
  EACCES: 'permission denied (is it read-only?)',
  EPERM: 'permission denied (is it read-only?)',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device (free some, then resume the run)',
  EDQUOT: 'the disk quota is used up (free some, then resume the run)',
  ENOTDIR: 'a file stands where a folder should be (move it, or choose another --runs-dir)',
  EEXIST: 'a file of that name is in the way (move it, or choose another --runs-dir)',
  EISDIR: 'it is a folder where a file should be',
  ENOENT: 'it does not exist (was its folder removed while the run wrote to it?)',
  EMFILE: 'too many open files',
};

const ACTIONS: Record<string, string> = { mkdir: 'create', write: 'write', rename: 'write', unlink: 'remove', rmdir: 'remove', scandir: 'read', read: 'read', stat: 'read' };
/** What a missing file means when it was to be read rather than written. */
const MISSING_FOR_READING = 'it does not exist (was it moved or deleted?)';

/** The sentence for a file-system error, or undefined when the error is not one. */
export function fileSystemProblem(error: unknown): string | undefined {
  const { code, path, dest, syscall, writing } = (error ?? {}) as NodeJS.ErrnoException & { dest?: string; writing?: boolean };
  if (typeof code !== 'string' || !(code in CAUSES) || typeof path !== 'string') return undefined;
  const target = syscall === 'rename' && dest ? dest : path;
  // open(2) reads and writes alike: only the writers (writeFileAtomic) say they were writing.
  const action = syscall === 'open' ? (writing ? 'write' : 'read') : (ACTIONS[syscall ?? ''] ?? 'use it');
  const cause = code === 'ENOENT' && action === 'read' ? MISSING_FOR_READING : CAUSES[code];
  return `${target}: cannot ${action}: ${cause}`;
}
