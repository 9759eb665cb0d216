import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeIdx, parseIdx, readIdxFile } from './idx.js';

function tempFile(name: string, bytes: Uint8Array): string {
  const path = join(mkdtempSync(join(tmpdir(), 'specml-idx-test-')), name);
  writeFileSync(path, bytes);
  return path;
}

describe('IDX reader', () => {
  const pixels = Uint8Array.from({ length: 2 * 3 * 3 }, (_, i) => i * 10);

  it('round-trips dimensions and bytes through encodeIdx and readIdxFile', () => {
    const path = tempFile('images-idx3-ubyte', encodeIdx([2, 3, 3], pixels));
    const idx = readIdxFile(path);
    expect(idx.dims).toEqual([2, 3, 3]);
    expect(Array.from(idx.data)).toEqual(Array.from(pixels));
  });

  it('reads gzipped files by their .gz ending', () => {
    const path = tempFile('labels-idx1-ubyte.gz', gzipSync(encodeIdx([4], Uint8Array.of(3, 1, 4, 1))));
    expect(Array.from(readIdxFile(path).data)).toEqual([3, 1, 4, 1]);
  });

  it('rejects a truncated image file with its name and byte counts', () => {
    const full = encodeIdx([2, 3, 3], pixels);
    const path = tempFile('cut-idx3-ubyte', full.subarray(0, full.length - 5));
    expect(() => readIdxFile(path)).toThrow(`${path}: the header declares 2×3×3 = 18 bytes of data, the file holds 13 (truncated)`);
  });

  it('rejects trailing bytes', () => {
    const bytes = new Uint8Array([...encodeIdx([2], Uint8Array.of(1, 2)), 9]);
    expect(() => parseIdx(bytes, 'x')).toThrow('x: the header declares 2 = 2 bytes of data, the file holds 3 (trailing bytes)');
  });

  it('rejects a wrong magic number and says gzipped files need .gz', () => {
    const path = tempFile('labels-idx1-ubyte', gzipSync(encodeIdx([1], Uint8Array.of(1))));
    expect(() => readIdxFile(path)).toThrow(/not an IDX file: the magic number must start with two zero bytes, got 0x1f8b \(gzipped files must end in \.gz\)/);
  });

  it('rejects element types other than unsigned bytes', () => {
    const bytes = encodeIdx([1], Uint8Array.of(1));
    bytes[2] = 0x0d;
    expect(() => parseIdx(bytes, 'f')).toThrow('f: unsupported IDX element type 0x0d: only unsigned bytes (0x08) are supported');
  });

  it('rejects files shorter than the header', () => {
    expect(() => parseIdx(Uint8Array.of(0, 0), 'f')).toThrow('f: not an IDX file: it has 2 bytes, fewer than the 4-byte header');
    expect(() => parseIdx(Uint8Array.of(0, 0, 8, 3, 0, 0), 'f')).toThrow('f: the IDX header needs 16 bytes, the file has 6');
  });

  it('names a missing file', () => {
    expect(() => readIdxFile('/nonexistent/train-images-idx3-ubyte')).toThrow(
      '/nonexistent/train-images-idx3-ubyte: cannot read the dataset file: no such file',
    );
  });

  it('rejects a corrupt gzip stream', () => {
    const path = tempFile('x-idx1-ubyte.gz', Uint8Array.of(0x1f, 0x8b, 8, 0, 1, 2, 3));
    expect(() => readIdxFile(path)).toThrow(`${path}: not a valid gzip file`);
  });

  it('stops inflating a gzip bomb at the size its header declares', () => {
    // A header for 10 bytes of labels, then 64 MiB of zeros: 65 kB compressed.
    const bomb = new Uint8Array(8 + 64 * 1024 * 1024);
    bomb.set(encodeIdx([10], new Uint8Array(10)).subarray(0, 8));
    const path = tempFile('bomb-idx1-ubyte.gz', gzipSync(bomb, { level: 9 }));
    const before = process.memoryUsage().rss;
    expect(() => readIdxFile(path)).toThrow(`${path}: inflates to more than the 18 bytes its IDX header declares (a corrupt or malicious file)`);
    expect(process.memoryUsage().rss - before).toBeLessThan(32 * 1024 * 1024);
  });
});
