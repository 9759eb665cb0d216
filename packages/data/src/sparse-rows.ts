import type { ExampleSet, SparseRows } from './dataset.js';

export type { SparseRows };

/**
 * A set held as its sparse rows: `inputs`, every value of every row, is made from them the first time a reader
 * asks (the tfjs engines, the dataset file), so that a run whose engine reads sparse rows never allocates the
 * dense ones (the spam e-mails: 61 MB of zeros, some 0.16 s to fill on this project's machine).
 */
export function sparseSet(sparse: SparseRows, labels: Uint8Array | Float32Array): ExampleSet {
  let dense: Float32Array | undefined;
  return {
    sparse,
    labels,
    count: labels.length,
    get inputs() {
      return (dense ??= denseRows(sparse));
    },
  };
}

/**
 * Rows from a dataset file's entries: `positions` in the set's values laid out row after row (increasing),
 * for `count` rows of `width`. Undefined where a position is out of order or out of the set.
 */
export function sparseRowsOf(positions: Uint32Array, values: Float32Array, count: number, width: number): SparseRows | undefined {
  const rowStart = new Uint32Array(count + 1);
  const index = new Uint32Array(positions.length);
  const length = count * width;
  let last = -1;
  let row = 0;
  for (let k = 0; k < positions.length; k++) {
    const position = positions[k];
    if (position <= last || position >= length) return undefined;
    last = position;
    const rowOf = Math.floor(position / width);
    while (row < rowOf) rowStart[++row] = k;
    index[k] = position - rowOf * width;
  }
  while (row < count) rowStart[++row] = positions.length;
  return { rowStart, index, values, width };
}

/** The entries' positions in the set's values laid out row after row: the dataset file's form of the rows. */
export function positionsOf(rows: SparseRows): Uint32Array {
  const positions = new Uint32Array(rows.index.length);
  for (let row = 0; row + 1 < rows.rowStart.length; row++) {
    for (let k = rows.rowStart[row]; k < rows.rowStart[row + 1]; k++) positions[k] = row * rows.width + rows.index[k];
  }
  return positions;
}

/** Rows [start, start + count): views of the entries, row starts counted from the first of them. */
export function sliceRows(rows: SparseRows, start: number, count: number): SparseRows {
  const first = rows.rowStart[start];
  const end = rows.rowStart[start + count];
  return {
    rowStart: rows.rowStart.slice(start, start + count + 1).map((at) => at - first),
    index: rows.index.subarray(first, end),
    values: rows.values.subarray(first, end),
    width: rows.width,
  };
}

/** Every value of every row, zeros included. */
export function denseRows(rows: SparseRows): Float32Array {
  const count = rows.rowStart.length - 1;
  const dense = new Float32Array(count * rows.width);
  for (let row = 0; row < count; row++) {
    for (let k = rows.rowStart[row]; k < rows.rowStart[row + 1]; k++) dense[row * rows.width + rows.index[k]] = rows.values[k];
  }
  return dense;
}
