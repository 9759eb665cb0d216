import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeIdx } from './idx.js';

/**
 * Writes a tiny IDX dataset folder (train and t10k files) for tests: image i of a set is filled with the
 * value `(i * 37) % 256` and labelled `i % classCount`.
 */
export function writeTinyIdxFolder(options: {
  trainCount?: number;
  testCount?: number;
  side?: number;
  classCount?: number;
  gzip?: boolean;
} = {}): string {
  const { trainCount = 12, testCount = 6, side = 4, classCount = 3, gzip = false } = options;
  const folder = mkdtempSync(join(tmpdir(), 'specml-idx-'));
  const write = (name: string, dims: number[], data: Uint8Array) => {
    const bytes = encodeIdx(dims, data);
    writeFileSync(join(folder, gzip ? `${name}.gz` : name), gzip ? gzipSync(bytes) : bytes);
  };
  for (const [prefix, count] of [['train', trainCount], ['t10k', testCount]] as const) {
    const images = new Uint8Array(count * side * side);
    for (let i = 0; i < count; i++) images.fill((i * 37) % 256, i * side * side, (i + 1) * side * side);
    const labels = Uint8Array.from({ length: count }, (_, i) => i % classCount);
    write(`${prefix}-images-idx3-ubyte`, [count, side, side], images);
    write(`${prefix}-labels-idx1-ubyte`, [count], labels);
  }
  return folder;
}
