import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { contentKey, loadThroughCache } from './cache.js';
import type { Dataset } from './dataset.js';

const root = mkdtempSync(join(tmpdir(), 'specml-cache-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A small decoded dataset, and a decoder that counts its calls. */
const dataset = (): Omit<Dataset, 'validation'> => ({
  name: 'csv',
  train: { inputs: Float32Array.from({ length: 40 }, (_, i) => i / 7), labels: Uint8Array.from({ length: 10 }, (_, i) => i % 2), count: 10 },
  test: { inputs: Float32Array.of(1, 2, 3, 4), labels: Uint8Array.of(0), count: 1 },
  inputShape: [4],
  classNames: ['a', 'b'],
  notes: [],
});
let decodes = 0;
const decode = async (warn: (message: string) => void) => {
  decodes++;
  warn('1 missing number cell was filled');
  return dataset();
};
const warnings: string[] = [];
const load = (key: string) => loadThroughCache(key, (message) => warnings.push(message), decode);
const entryOf = (cache: string, key: string) => join(cache, 'datasets', `${key}.entry`);

describe('the decoded-data cache trusts nothing it reads', () => {
  let cache: string;
  beforeEach(() => {
    cache = mkdtempSync(join(root, 'cache-'));
    process.env.SPECML_CACHE_DIR = cache;
    decodes = 0;
    warnings.length = 0;
  });

  it('keeps an entry and gives it back with its warnings, without decoding again', async () => {
    const key = contentKey(['kept']);
    await load(key);
    const again = await load(key);
    expect(decodes).toBe(1);
    expect(again.train.inputs).toEqual(dataset().train.inputs);
    expect(warnings).toEqual(['1 missing number cell was filled', '1 missing number cell was filled']);
  });

  it('decodes again, with one warning, when the entry\'s bytes were replaced by others of the same length', async () => {
    const key = contentKey(['damaged']);
    await load(key);
    const path = entryOf(cache, key);
    const bytes = readFileSync(path);
    // Random bytes over the pixels and labels: the header still parses, only the checksum can tell.
    const tail = bytes.length - 200;
    for (let i = tail; i < bytes.length; i++) bytes[i] = (i * 7919) % 251;
    writeFileSync(path, bytes);
    warnings.length = 0;
    const reloaded = await load(key);
    expect(decodes).toBe(2);
    expect(reloaded.train.inputs).toEqual(dataset().train.inputs);
    expect(warnings).toEqual([`the cache entry ${path} is damaged (its checksum or contents do not match what was written): decoding the data again`, '1 missing number cell was filled']);
  });

  it('never blocks on a FIFO or reads a device planted at an entry\'s path', async () => {
    const fifo = contentKey(['fifo']);
    const device = contentKey(['device']);
    execFileSync('mkdir', ['-p', join(cache, 'datasets')]);
    execFileSync('mkfifo', [entryOf(cache, fifo)]);
    symlinkSync('/dev/zero', entryOf(cache, device));
    expect((await load(fifo)).classNames).toEqual(['a', 'b']);
    expect((await load(device)).classNames).toEqual(['a', 'b']);
    expect(decodes).toBe(2);
    expect(warnings.filter((message) => message.includes('is not a regular file'))).toHaveLength(2);
  });

  it('only costs the decoding when the cache folder cannot be used (a file stands where it should be)', async () => {
    const blocker = join(cache, 'a-file');
    writeFileSync(blocker, 'not a folder');
    process.env.SPECML_CACHE_DIR = blocker;
    const key = contentKey(['blocked']);
    expect((await load(key)).classNames).toEqual(['a', 'b']);
    expect((await load(key)).classNames).toEqual(['a', 'b']);
    expect(decodes).toBe(2);
    expect(readdirSync(cache)).toEqual(['a-file']);
    expect(warnings.filter((message) => message === `the cache folder ${blocker} cannot be written (ENOTDIR): the data are decoded again next time (set SPECML_CACHE_DIR to a writable folder)`)).toHaveLength(2);
  });
});
