import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Dataset } from './dataset.js';
import { decodeDataset, encodeDataset } from './dataset-file.js';

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
    writeFileSync(temporary, encodeDataset(dataset));
    renameSync(temporary, path);
  } catch {
    rmSync(temporary, { force: true });
  }
}
