import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from './files.js';

describe('writeFileAtomic', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('writes parts one after another (views at an offset included), leaving only the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'specml-files-'));
    dirs.push(dir);
    const floats = Float32Array.of(1.5, -2, 3.25, 4);
    const view = new Uint8Array(floats.buffer, 4, 8);
    const big = new Uint8Array(3 * 2 ** 20).map((_, i) => i % 251);
    writeFileAtomic(join(dir, 'parts.bin'), [Uint8Array.of(7, 8), view, new Uint8Array(0), big]);
    expect(readFileSync(join(dir, 'parts.bin'))).toEqual(Buffer.concat([Uint8Array.of(7, 8), view, big]));
    expect(readdirSync(dir)).toEqual(['parts.bin']);
    expect(() => writeFileAtomic(join(dir, 'missing', 'parts.bin'), [view])).toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual(['parts.bin']);
  });
});
