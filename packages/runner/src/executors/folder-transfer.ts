import { lstatSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import type { Redis } from 'ioredis';
import { isTemporaryFile, writeFileAtomic } from '@specml/reporter';
import { KEPT_SECONDS, MAX_FOLDER_BYTES } from './queue-protocol.js';

// Run folders travel between machines as one Redis hash each: field = the file's path inside the folder,
// value = its bytes. No filesystem is shared.

/** Files that belong to one machine's copy of a folder, never sent. */
const LOCAL_ONLY = new Set(['lock.json']);
/** A path inside a run folder as a hash field may name it: plain names, `/`-separated, no `..`. */
const SAFE_PATH = /^(?!\.\.?(\/|$))[\w.-]+(\/(?!\.\.?(\/|$))[\w.-]+)*$/;

/** Who may write: the holder of a job's lock (its key and this worker's token). */
export interface LockGuard {
  readonly lockKey: string;
  readonly token: string;
}

/**
 * Replaces the hash at `key` with the files of `dir` (at most MAX_FOLDER_BYTES in all). With `guard`, only
 * while the lock is still this worker's, checked in the same atomic step as the write (a Lua script): a
 * worker whose lock expired (Redis paused, restarted) never overwrites what the job's new owner wrote.
 * `alsoDelete` keys are removed in that step. Resolves whether it wrote.
 */
export async function uploadFolder(redis: Redis, key: string, dir: string, guard?: LockGuard, alsoDelete: readonly string[] = []): Promise<boolean> {
  const files: Array<[string, Buffer]> = [];
  let bytes = 0;
  for (const path of filesUnder(dir)) {
    const name = relative(dir, path).split(sep).join('/');
    if (LOCAL_ONLY.has(name) || isTemporaryFile(name)) continue;
    const content = readFileSync(path);
    bytes += content.length;
    if (bytes > MAX_FOLDER_BYTES) throw new Error(`${dir} holds more than ${MAX_FOLDER_BYTES / 2 ** 20} MiB, the most a run folder may send through Redis`);
    files.push([name, content]);
  }
  if (guard) {
    const written = await redis.eval(GUARDED_REPLACE, 2 + alsoDelete.length, guard.lockKey, key, ...alsoDelete, guard.token, KEPT_SECONDS, ...files.flat());
    return written === 1;
  }
  const transaction = redis.multi().del(key);
  if (files.length > 0) transaction.hset(key, ...files.flat()).expire(key, KEPT_SECONDS);
  await transaction.exec();
  return true;
}

/** KEYS: lock, hash, keys to delete; ARGV: token, seconds to keep, then field, value, field, value… */
const GUARDED_REPLACE = `
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('del', KEYS[2])
for i = 3, #KEYS do redis.call('del', KEYS[i]) end
for i = 3, #ARGV, 2 do redis.call('hset', KEYS[2], ARGV[i], ARGV[i + 1]) end
if #ARGV > 2 then redis.call('expire', KEYS[2], ARGV[2]) end
return 1`;

/** Writes the files of the hash at `key` into `dir`; false where there is no such hash. Unsafe paths are refused. */
export async function downloadFolder(redis: Redis, key: string, dir: string): Promise<boolean> {
  const files = await redis.hgetallBuffer(key);
  const names = Object.keys(files);
  if (names.length === 0) return false;
  const unsafe = names.find((name) => !SAFE_PATH.test(name));
  if (unsafe !== undefined) throw new Error(`${key} names a file outside its folder (${JSON.stringify(unsafe.slice(0, 80))}); not written`);
  for (const name of names) {
    const path = join(dir, ...name.split('/'));
    mkdirSync(dirname(path), { recursive: true });
    writeFileAtomic(path, files[name]);
  }
  return true;
}

/** The regular files under a folder (links, pipes and devices are never sent). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    const stats = lstatSync(path);
    return stats.isDirectory() ? filesUnder(path) : stats.isFile() ? [path] : [];
  });
}
