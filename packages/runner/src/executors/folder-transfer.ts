import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
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

/** Replaces the hash at `key` with the files of `dir` (at most MAX_FOLDER_BYTES in all). */
export async function uploadFolder(redis: Redis, key: string, dir: string): Promise<void> {
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
  const transaction = redis.multi().del(key);
  if (files.length > 0) transaction.hset(key, ...files.flat()).expire(key, KEPT_SECONDS);
  await transaction.exec();
}

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

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}
