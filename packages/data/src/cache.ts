import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Dataset } from './dataset.js';
import { datasetFileParts, decodeDataset } from './dataset-file.js';

// Decoded datasets by content: a second run, every trial of a sweep and every worker on this machine load
// an image folder without decoding it again. The key covers the options and every file's name, size and
// modification time, so a changed, added or removed file decodes again. Delete the folder to clear it.

/** `$SPECML_CACHE_DIR`, else `$XDG_CACHE_HOME/specml`, else `~/.cache/specml`. */
export function cacheDirectory(): string {
  if (process.env.SPECML_CACHE_DIR) return process.env.SPECML_CACHE_DIR;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'specml');
}

export function contentKey(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

const datasetPath = (key: string) => join(cacheDirectory(), 'datasets', `${key}.bin`);

type Stored = Omit<Dataset, 'validation'>;

/** The cached dataset under `key`, or undefined (absent, unreadable or damaged: it is then decoded again). */
export function readCachedDataset(key: string): Stored | undefined {
  try {
    return decodeDataset(readFileSync(datasetPath(key)));
  } catch {
    return undefined;
  }
}

/** Keeps a decoded dataset under `key`; a cache that cannot be written only costs the next run its decoding. */
export function writeCachedDataset(key: string, dataset: Stored): void {
  const path = datasetPath(key);
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    mkdirSync(join(cacheDirectory(), 'datasets'), { recursive: true });
    // Part by part: the dataset is not copied into one buffer to be written.
    const file = openSync(temporary, 'w');
    try {
      for (const part of datasetFileParts(dataset)) writeSync(file, part);
    } finally {
      closeSync(file);
    }
    renameSync(temporary, path);
  } catch {
    rmSync(temporary, { force: true });
  }
}

// Datasets a queue's coordinator shipped: kept by the SHA-256 of their bytes (what the job names), checked
// against it before they are kept, so that a worker trains on exactly what the coordinator decoded.

const shippedPath = (hash: string) => join(cacheDirectory(), 'shipped', `${hash}.bin`);
const HASH = /^[0-9a-f]{64}$/;

export function datasetHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Whether this machine holds the shipped dataset `hash` (checked when it was kept, and again when read). */
export function hasShippedDataset(hash: string): boolean {
  return HASH.test(hash) && existsSync(shippedPath(hash));
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
    const bytes = readFileSync(shippedPath(hash));
    return datasetHash(bytes) === hash ? decodeDataset(bytes) : undefined;
  } catch {
    return undefined;
  }
}
