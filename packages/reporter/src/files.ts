import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readdirSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Writes through a temporary file and a rename, so readers see the old or the new file, never half of
 * one. A failed write (a full disk, a folder removed) leaves no temporary file behind. Content given in
 * parts is written part after part, never copied into one buffer.
 */
export function writeFileAtomic(path: string, content: string | Uint8Array | readonly Uint8Array[]): void {
  const temporary = temporaryPath(path);
  try {
    if (Array.isArray(content)) writeParts(temporary, content);
    else writeFileSync(temporary, content as string | Uint8Array);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw withPath(error, path);
  }
}

function writeParts(path: string, parts: readonly Uint8Array[]): void {
  const file = openSync(path, 'w');
  try {
    for (const part of parts) {
      for (let written = 0; written < part.byteLength; ) written += writeSync(file, part, written);
    }
  } finally {
    closeSync(file);
  }
}

/**
 * A failed write of `path` names it (a write(2) error carries no path of its own), and says it was a write:
 * open(2) fails alike for reading and writing, and the message must not send a person the wrong way.
 */
export function withPath(error: unknown, path: string): unknown {
  const fault = error as NodeJS.ErrnoException & { writing?: boolean };
  if (fault && typeof fault === 'object' && typeof fault.code === 'string') {
    fault.path = path;
    fault.writing = true;
  }
  return error;
}

const TEMPORARY_SUFFIX = '.tmp';

/** The one name a temporary file of `path` gets (`<name>.<pid>.<8 hex>.tmp`), which isTemporaryFile knows. */
export function temporaryPath(path: string): string {
  return `${path}.${process.pid}.${randomBytes(4).toString('hex')}${TEMPORARY_SUFFIX}`;
}

/** Whether a file name is one of writeFileAtomic's temporary files (`<name>.<pid>.<8 hex>.tmp`). */
export function isTemporaryFile(name: string): boolean {
  return /\.\d+\.[0-9a-f]{8}\.tmp$/.test(name);
}

/** Removes temporary files a killed process left in a folder (writeFileAtomic's, never anything else). */
export function removeStaleTemporaryFiles(dir: string): void {
  for (const entry of readdirSync(dir)) {
    if (isTemporaryFile(entry)) rmSync(join(dir, entry), { force: true });
  }
}
