import { closeSync, constants, fstatSync, mkdirSync, openSync, readSync, realpathSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { UserError } from './errors.js';

// What comes from outside (a Redis job, a run folder received from another machine, a runs dir anyone can
// write into) is never trusted to name a path or to be a regular file. Every removal and rename of a folder
// that a name from outside chose goes through removeInside / renameInside, which refuse anything that would
// land outside the folder they are given.

/** The longest name a job id, experiment name or run id may have. */
export const MAX_NAME_LENGTH = 200;
const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** Whether `value` is one plain path segment: letters, digits, `_ . -`, not starting with `.` or `-`, bounded. */
export function isSafeName(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_NAME_LENGTH && SAFE_NAME.test(value);
}

/** `value` if it is a safe name, else a UserError saying where it came from (`what`) and what a name may hold. */
export function checkedName(value: unknown, what: string): string {
  if (isSafeName(value)) return value;
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 80)) : String(value).slice(0, 80);
  throw new UserError(`${what} ${shown} is not a plain name (letters, digits, "_", "." and "-", not starting with "." or "-", at most ${MAX_NAME_LENGTH} characters); refused`);
}

/** Whether `path` is `root` itself or lies inside it, after resolving both (and the links above `path`). */
export function isInside(root: string, path: string): boolean {
  const absolute = resolve(path);
  // The last segment is not followed: removing or renaming a link touches the link, not what it points to.
  const realPath = join(realOrResolved(dirname(absolute)), basename(absolute));
  const inner = relative(realOrResolved(root), realPath);
  return inner !== '' && !inner.startsWith('..') && !isAbsolute(inner);
}

function realOrResolved(path: string): string {
  // The deepest existing ancestor's real path, with the rest appended: a path not made yet still resolves.
  const absolute = resolve(path);
  try {
    return realpathSync(absolute);
  } catch {
    const parent = dirname(absolute);
    return parent === absolute ? absolute : resolve(realOrResolved(parent), absolute.slice(parent.length + 1));
  }
}

function assertInside(root: string, path: string, action: string): void {
  if (!isInside(root, path)) throw new Error(`refusing to ${action} ${path}: it is not inside ${root}`);
}

/** Removes `path` (a folder, recursively) after checking that it lies strictly inside `root`. */
export function removeInside(root: string, path: string): void {
  assertInside(root, path, 'remove');
  rmSync(path, { recursive: true, force: true });
}

/** Renames `from` to `to`, both strictly inside `root`, replacing what `to` held; makes `to`'s parent. */
export function renameInside(root: string, from: string, to: string): void {
  assertInside(root, from, 'move');
  assertInside(root, to, 'replace');
  mkdirSync(dirname(to), { recursive: true });
  rmSync(to, { recursive: true, force: true });
  renameSync(from, to);
}

/** The most a run-format file (summary.json, metrics.csv, sweep.json, spec.yaml) may weigh when read back. */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

/** Why a file was not read: it is missing, not a regular file, or too large. */
export class UnreadableFileError extends Error {
  override readonly name = 'UnreadableFileError';
  constructor(readonly path: string, readonly reason: string, readonly code?: string) {
    super(`${path}: ${reason}`);
  }
}

/** Why readRegularBytes refused a file, said for a person: `no such file`, `it is larger than the 64 MiB …`. */
export function whyUnreadable(error: unknown, maxBytes: number, what: string): string {
  const { code, reason } = error as Partial<UnreadableFileError>;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EFBIG') return `it is larger than the ${maxBytes / 2 ** 20} MiB ${what} may have`;
  return reason ?? (error as Error).message;
}

/** Reads a regular file of at most `maxBytes`, as text (see readRegularBytes). */
export function readRegularFile(path: string, maxBytes = MAX_RECORD_BYTES): string {
  return readRegularBytes(path, maxBytes).toString('utf8');
}

/**
 * Reads a regular file of at most `maxBytes`. A FIFO, device or folder is refused without blocking on it
 * (it is opened non-blocking and checked before a byte is read), and so is a larger file, measured as it is
 * read since some files report no size.
 */
export function readRegularBytes(path: string, maxBytes: number): Buffer {
  let descriptor: number;
  try {
    descriptor = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UnreadableFileError(path, code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (error as Error).message})`, code);
  }
  try {
    const stats = fstatSync(descriptor);
    if (!stats.isFile()) throw new UnreadableFileError(path, 'is not a regular file (a pipe, device or folder)', 'ENOTFILE');
    if (stats.size > maxBytes) throw new UnreadableFileError(path, `is ${stats.size} bytes, more than the ${maxBytes} this file may have`, 'EFBIG');
    const buffer = Buffer.alloc(Math.min(maxBytes + 1, stats.size + 1));
    let length = 0;
    for (let read = -1; read !== 0 && length < buffer.length; length += read) read = readSync(descriptor, buffer, length, buffer.length - length, null);
    if (length > maxBytes) throw new UnreadableFileError(path, `is more than the ${maxBytes} bytes this file may have`, 'EFBIG');
    return buffer.subarray(0, length);
  } finally {
    closeSync(descriptor);
  }
}
