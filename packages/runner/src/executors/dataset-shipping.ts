import { gunzipSync, gzipSync } from 'node:zlib';
import type { Redis } from 'ioredis';
import { datasetHash, encodeDataset, hasShippedDataset, keepShippedDataset, loadWholeDataset, readsUserFiles, UserError, type Task } from '@specml/data';
import { loadSpecText } from '../spec/load-spec.js';
import { KEPT_SECONDS } from './queue-protocol.js';

// A trial whose data are the user's own files (an image folder, a CSV table) runs on workers that may not
// have them: the coordinator decodes the data once and puts them in Redis, compressed, under the SHA-256 of
// their bytes; the job names that hash, and a worker fetches them once and keeps them by it
// (<cache>/shipped/<hash>.bin). The built-in datasets (mnist, fashion-mnist) are read on the worker.

/** The most a shipped dataset may take in Redis (compressed): larger ones must be on every worker's disk. */
export const MAX_SHIPPED_DATASET_BYTES = 256 * 2 ** 20;
/** The most a shipped dataset may inflate to on a worker (a corrupt or hostile entry is refused past it). */
export const MAX_INFLATED_DATASET_BYTES = 2 * 2 ** 30;

const datasetKey = (hash: string) => `specml:dataset:${hash}`;

/**
 * The hash of the trial's dataset, put into Redis if it is not there (again: a Redis restarted empty lost
 * it); null for a built-in dataset. Each data block is decoded and compressed once per coordinator, however
 * many trials share it.
 */
export function datasetShipper(connection: Redis) {
  const packed = new Map<string, Promise<{ hash: string; compressed: Buffer }>>();
  return async (request: { specText: string; specFile: string; overrides: readonly string[] }): Promise<string | null> => {
    const { data, task } = loadSpecText(request.specText, request.specFile, request.overrides).spec;
    if (!readsUserFiles(data)) return null;
    const key = JSON.stringify([data, task]);
    let pack = packed.get(key);
    if (!pack) {
      pack = packDataset(data, task);
      pack.catch(() => packed.delete(key));
      packed.set(key, pack);
    }
    const { hash, compressed } = await pack;
    // NX: the same dataset shipped by another coordinator is left as it is; its life is extended.
    if ((await connection.set(datasetKey(hash), compressed, 'EX', KEPT_SECONDS, 'NX')) === null) await connection.expire(datasetKey(hash), KEPT_SECONDS);
    return hash;
  };
}

async function packDataset(data: Parameters<typeof loadWholeDataset>[0], task: Task): Promise<{ hash: string; compressed: Buffer }> {
  const bytes = encodeDataset(await loadWholeDataset(data, { task }));
  const compressed = gzipSync(bytes, { level: 1 });
  if (compressed.length > MAX_SHIPPED_DATASET_BYTES) {
    throw new UserError(
      `data: the decoded dataset is ${(compressed.length / 2 ** 20).toFixed(0)} MiB compressed, more than the ${MAX_SHIPPED_DATASET_BYTES / 2 ** 20} MiB a queue ships to its workers (use a smaller data.imageSize, or train it without --queue)`,
    );
  }
  return { hash: datasetHash(bytes), compressed };
}

/**
 * Makes sure this worker holds the shipped dataset `hash`: fetched from Redis once, inflated within a bound,
 * checked against its hash and its format before it is kept. Throws (refusing the job) when it cannot.
 */
export async function fetchShippedDataset(connection: Redis, hash: string): Promise<void> {
  if (hasShippedDataset(hash)) return;
  const compressed = await connection.getBuffer(datasetKey(hash));
  if (!compressed) throw new Error(`its dataset ${hash.slice(0, 12)}… is not in Redis (expired, or Redis restarted empty); start the sweep again to ship it`);
  if (compressed.length > MAX_SHIPPED_DATASET_BYTES) throw new Error(`its dataset ${hash.slice(0, 12)}… is larger than ${MAX_SHIPPED_DATASET_BYTES / 2 ** 20} MiB`);
  let bytes: Buffer;
  try {
    bytes = gunzipSync(compressed, { maxOutputLength: MAX_INFLATED_DATASET_BYTES });
  } catch (error) {
    throw new Error(`its dataset ${hash.slice(0, 12)}… does not inflate (${(error as Error).message})`);
  }
  if (!keepShippedDataset(hash, bytes)) throw new Error(`its dataset ${hash.slice(0, 12)}… is not the dataset its hash names`);
}
