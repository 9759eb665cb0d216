import { createHash } from 'node:crypto';
import { closeSync, lstatSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Dataset } from './dataset.js';
import { datasetFileParts, decodeDataset, decodeDatasetFile } from './dataset-file.js';
import { readRegularBytes, UnreadableFileError } from './safe-files.js';

// Decoded datasets by content: a second run, every trial of a sweep and every worker on this machine load
// an image folder or a CSV table without decoding it again. The key covers the options and, for a folder,
// every file's name, size and modification time, for a table its bytes' SHA-256, so a changed, added or
// removed file decodes again. Delete the folder to clear it.

/** `$SPECML_CACHE_DIR`, else `$XDG_CACHE_HOME/specml`, else `~/.cache/specml`. */
export function cacheDirectory(): string {
  if (process.env.SPECML_CACHE_DIR) return process.env.SPECML_CACHE_DIR;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'specml');
}

/** The SHA-256 of text or bytes, in hex: the cache's keys and the shipped datasets' names. */
const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

export function contentKey(parts: unknown): string {
  return sha256(JSON.stringify(parts));
}

/** `.entry`: a tagged, checksummed file (entries of older versions, `.bin`, are left alone and never read). */
const datasetPath = (key: string) => join(cacheDirectory(), 'datasets', `${key}.entry`);

type Stored = Omit<Dataset, 'validation'>;

/**
 * The dataset under `key` from the cache, else from `decode`, which is then kept there. The warnings
 * decoding gave (empty cells filled, files skipped) are kept with it and given again on every cache hit.
 */
export async function loadThroughCache(key: string, warn: (message: string) => void, decode: (warn: (message: string) => void) => Promise<Stored>): Promise<Stored> {
  const cached = readCachedDataset(key, warn);
  if (cached) {
    cached.warnings.forEach(warn);
    return cached.dataset;
  }
  const warnings: string[] = [];
  const dataset = await decode((message) => {
    warnings.push(message);
    warn(message);
  });
  writeCachedDataset(key, dataset, warnings, warn);
  return dataset;
}

/**
 * The SHA-256 of a file's bytes, for a cache key that no edit can fool (a file rewritten within the
 * clock's tick at the same size keeps its modification time); undefined if it is not a regular file of at
 * most `maxBytes` (decoding then says why).
 */
export function fileDigest(file: string, maxBytes: number): string | undefined {
  try {
    return sha256(readRegularBytes(file, maxBytes));
  } catch {
    return undefined;
  }
}

/** The largest decoded dataset the cache keeps (and a worker keeps shipped): larger ones are decoded every time, which is said. */
export const MAX_CACHED_BYTES = 2 * 2 ** 30;
/** A cache entry: this tag, the SHA-256 of the payload, then the payload (a dataset file). */
const ENTRY_TAG = Buffer.from('specml-cache-1\n');
const DIGEST_BYTES = 32;

/**
 * The cached dataset under `key`, or undefined (absent or unreadable: it is then decoded again). The entry is
 * read like any file from outside, bounded and never blocking (a FIFO or device there is refused), and its
 * checksum is verified: a damaged entry is said once, removed and decoded again, never trained on.
 */
function readCachedDataset(key: string, warn: (message: string) => void): { dataset: Stored; warnings: string[] } | undefined {
  const path = datasetPath(key);
  let bytes: Buffer;
  try {
    bytes = readRegularBytes(path, ENTRY_TAG.length + DIGEST_BYTES + MAX_CACHED_BYTES);
  } catch (error) {
    if (error instanceof UnreadableFileError && error.code !== 'ENOENT') warn(`the cache entry ${path} ${error.reason}: decoding the data again`);
    return undefined;
  }
  const payload = bytes.subarray(ENTRY_TAG.length + DIGEST_BYTES);
  const intact = bytes.subarray(0, ENTRY_TAG.length).equals(ENTRY_TAG) && createHash('sha256').update(payload).digest().equals(bytes.subarray(ENTRY_TAG.length, ENTRY_TAG.length + DIGEST_BYTES));
  const decoded = intact ? decodeDatasetFile(payload) : undefined;
  if (!decoded) {
    warn(`the cache entry ${path} is damaged (its checksum or contents do not match what was written): decoding the data again`);
    rmSync(path, { force: true });
  }
  return decoded;
}

/** Keeps a decoded dataset under `key`; a cache that cannot be written only costs the next run its decoding. */
function writeCachedDataset(key: string, dataset: Stored, warnings: readonly string[], warn: (message: string) => void): void {
  const parts = datasetFileParts(dataset, warnings);
  const size = parts.reduce((sum, part) => sum + part.byteLength, 0);
  if (size > MAX_CACHED_BYTES) {
    warn(`the decoded dataset is ${(size / 2 ** 30).toFixed(1)} GiB, more than the ${MAX_CACHED_BYTES / 2 ** 30} GiB the cache keeps: it is decoded again on every run (a smaller data.imageSize makes it cacheable)`);
    return;
  }
  const path = datasetPath(key);
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    mkdirSync(join(cacheDirectory(), 'datasets'), { recursive: true });
    const digest = createHash('sha256');
    for (const part of parts) digest.update(part);
    // Part by part: the dataset is not copied into one buffer to be written.
    const file = openSync(temporary, 'w');
    try {
      for (const part of [ENTRY_TAG, digest.digest(), ...parts]) writeSync(file, part);
    } finally {
      closeSync(file);
    }
    renameSync(temporary, path);
  } catch (error) {
    warn(`the cache folder ${cacheDirectory()} cannot be written (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): the data are decoded again next time (set SPECML_CACHE_DIR to a writable folder)`);
    try {
      rmSync(temporary, { force: true });
    } catch {
      // Nothing was written where nothing can be.
    }
  }
}

// Datasets a queue's coordinator shipped: kept by the SHA-256 of their bytes (what the job names), checked
// against it before they are kept, so that a worker trains on exactly what the coordinator decoded.

const shippedPath = (hash: string) => join(cacheDirectory(), 'shipped', `${hash}.bin`);
const HASH = /^[0-9a-f]{64}$/;

export function datasetHash(bytes: Uint8Array): string {
  return sha256(bytes);
}

/** Whether this machine holds the shipped dataset `hash` (checked when it was kept, and again when read). */
export function hasShippedDataset(hash: string): boolean {
  if (!HASH.test(hash)) return false;
  try {
    return lstatSync(shippedPath(hash)).isFile(); // a FIFO or link planted there is fetched over, never read
  } catch {
    return false;
  }
}

/** Keeps a shipped dataset's bytes if they are what `hash` names and decode as a dataset; says whether it did. */
export function keepShippedDataset(hash: string, bytes: Uint8Array): boolean {
  if (!HASH.test(hash) || datasetHash(bytes) !== hash || !decodeDataset(bytes)) return false;
  const path = shippedPath(hash);
  const temporary = `${path}.${process.pid}.tmp`;
  mkdirSync(join(cacheDirectory(), 'shipped'), { recursive: true });
  writeFileSync(temporary, bytes);
  renameSync(temporary, path);
  return true;
}

/** The shipped dataset `hash` as this machine keeps it, or undefined. */
export function readShippedDataset(hash: string): Stored | undefined {
  if (!HASH.test(hash)) return undefined;
  try {
    const bytes = readRegularBytes(shippedPath(hash), MAX_CACHED_BYTES);
    return datasetHash(bytes) === hash ? decodeDataset(bytes) : undefined;
  } catch {
    return undefined;
  }
}
