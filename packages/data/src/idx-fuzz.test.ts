import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UserError } from './errors.js';
import { encodeIdx, parseIdx } from './idx.js';

describe('IDX parsing never crashes', () => {
  const valid = encodeIdx([3, 4, 4], Uint8Array.from({ length: 48 }, (_, i) => i));

  it('on corrupted, truncated or extended versions of a valid file', () => {
    fc.assert(
      fc.property(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 }), fc.integer({ min: -60, max: 10 }), (at, byte, lengthChange) => {
        const bytes = valid.slice();
        bytes[at] = byte;
        const changed = lengthChange <= 0 ? bytes.subarray(0, bytes.length + lengthChange) : new Uint8Array([...bytes, ...new Uint8Array(lengthChange)]);
        try {
          const idx = parseIdx(changed, 'f.idx');
          expect(idx.data.length).toBe(idx.dims.reduce((product, size) => product * size, 1));
        } catch (error) {
          expect(error).toBeInstanceOf(UserError);
          expect((error as Error).message).toMatch(/^f\.idx: /);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
