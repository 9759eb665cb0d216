import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { limited, splitOff } from './datasets/split.js';
import { denseRows, positionsOf, sliceRows, sparseRowsOf, sparseSet } from './sparse-rows.js';

/** Rows of `width` with a few entries each (empty rows too), and where they are in the set. */
const sparseRows = fc
  .record({ width: fc.integer({ min: 1, max: 40 }), rows: fc.array(fc.array(fc.tuple(fc.nat(), fc.float({ noDefaultInfinity: true }).filter((value) => !Object.is(value, 0))), { maxLength: 6 }), { minLength: 1, maxLength: 12 }) })
  .map(({ width, rows }) => {
    const dense = new Float32Array(rows.length * width);
    rows.forEach((entries, row) => entries.forEach(([at, value]) => (dense[row * width + (at % width)] = value)));
    const positions = Uint32Array.from(dense.keys()).filter((position) => !Object.is(dense[position], 0));
    return { width, count: rows.length, dense, positions, values: Float32Array.from(positions, (position) => dense[position]) };
  });

const bits = (array: Float32Array) => Array.from(new Uint32Array(array.buffer, array.byteOffset, array.length));

describe('sparse rows (a bag of words as the dataset file keeps it)', () => {
  it('give back every value of every row bit for bit, in part or whole, and the file\'s positions', () => {
    fc.assert(
      fc.property(sparseRows, fc.nat(), fc.nat(), ({ width, count, dense, positions, values }, a, b) => {
        const rows = sparseRowsOf(positions, values, count, width)!;
        expect(bits(denseRows(rows))).toEqual(bits(dense));
        expect(Array.from(positionsOf(rows))).toEqual(Array.from(positions));
        const start = a % count;
        const taken = b % (count - start + 1);
        expect(bits(denseRows(sliceRows(rows, start, taken)))).toEqual(bits(dense.subarray(start * width, (start + taken) * width)));
      }),
      { numRuns: 200, seed: 20261205 },
    );
  });

  it('refuse positions out of order or outside the set', () => {
    expect(sparseRowsOf(Uint32Array.of(1, 5), Float32Array.of(1, 2), 2, 3)).toEqual({ rowStart: Uint32Array.of(0, 1, 2), index: Uint32Array.of(1, 2), values: Float32Array.of(1, 2), width: 3 });
    expect(sparseRowsOf(Uint32Array.of(5, 1), Float32Array.of(1, 2), 2, 3)).toBeUndefined();
    expect(sparseRowsOf(Uint32Array.of(1, 1), Float32Array.of(1, 2), 2, 3)).toBeUndefined();
    expect(sparseRowsOf(Uint32Array.of(6), Float32Array.of(1), 2, 3)).toBeUndefined();
  });

  it('stay sparse through the limits and the validation split, with the dense rows of the same parts on demand', () => {
    const dense = Float32Array.of(0, 1, 0, 0, 0, 0, 2, 0, 3, 0, 0, 4);
    const set = sparseSet(sparseRowsOf(Uint32Array.of(1, 6, 8, 11), Float32Array.of(1, 2, 3, 4), 4, 3)!, Uint8Array.of(0, 1, 0, 1));
    const [train, validation] = splitOff(set, 0.25);
    const first = limited(set, 2);
    for (const [part, from, count] of [[train, 0, 3], [validation!, 3, 1], [first, 0, 2]] as const) {
      expect(part.sparse).toBeDefined();
      expect(part.count).toBe(count);
      expect(Array.from(part.labels)).toEqual(Array.from(set.labels.subarray(from, from + count)));
      expect(Array.from(part.inputs)).toEqual(Array.from(dense.subarray(from * 3, (from + count) * 3)));
    }
    expect(Array.from(set.inputs)).toEqual(Array.from(dense));
  });
});
