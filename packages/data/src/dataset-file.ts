import { TEST_TEXT_LENGTH, type Dataset, type ExampleSet, type TableEncoding, type TestText } from './dataset.js';
import { isPlainObject } from './plain-object.js';
import { parseTableEncoding, tableInputOf } from './table.js';
import { positionsOf, sparseRowsOf, sparseSet } from './sparse-rows.js';

// A decoded dataset as one file: what the cache keeps and what the queue ships to workers. Read back from
// disk or from Redis, it is untrusted: every count and size is checked against the bytes before use.

// Version 2 may keep a set's float inputs sparse (below); a version-1 file (all dense) reads the same way.
const MAGIC = 'specml-dataset-2\n';
const MAGICS = new Set([MAGIC, 'specml-dataset-1\n']);

type Stored = Omit<Dataset, 'validation'>;

/** The most warnings a dataset file keeps (they are one sentence each). */
const MAX_WARNINGS = 32;

/**
 * The dataset file's parts, in order: header, then each set's inputs and labels (views, not copies).
 * `warnings`: what decoding the user's files said (filled cells, skipped files), given again by a cache hit.
 */
export function datasetFileParts(dataset: Stored, warnings: readonly string[] = []): Uint8Array[] {
  const sets = [dataset.train, dataset.test];
  const sparse = sets.map((set) => (set.sparse ? { positions: positionsOf(set.sparse), values: set.sparse.values } : set.inputs instanceof Float32Array ? sparseOf(set.inputs) : undefined));
  const header = Buffer.from(JSON.stringify({
    warnings: warnings.slice(0, MAX_WARNINGS),
    name: dataset.name,
    inputShape: dataset.inputShape,
    classNames: dataset.classNames,
    table: dataset.table,
    target: dataset.target,
    notes: dataset.notes,
    testText: dataset.testText,
    sets: sets.map((set, k) => ({ count: set.count, floats: set.sparse !== undefined || set.inputs instanceof Float32Array, numbers: set.labels instanceof Float32Array, ...(sparse[k] ? { sparse: sparse[k].positions.length } : {}) })),
  }));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.length);
  const parts: Uint8Array[] = [Buffer.from(MAGIC), length, header];
  sets.forEach((set, k) => {
    const kept = sparse[k];
    const inputs = kept ? [bytesOf(kept.positions), bytesOf(kept.values)] : [bytesOf(set.inputs)];
    parts.push(...inputs, bytesOf(set.labels));
  });
  return parts;
}

const bytesOf = (array: Uint8Array | Uint32Array | Float32Array) => new Uint8Array(array.buffer, array.byteOffset, array.byteLength);

/**
 * A bag of words' rows are almost all zeros (a 12,000-token vocabulary, a few dozen tokens a row): kept as
 * the positions and values of the entries that are not +0 (bit for bit: a -0 is kept), where that takes at
 * most an eighth of the dense bytes. The spam e-mails' cache entry: 78 MB dense, a few MB sparse, which every
 * run reads and checks and a queue ships to every worker.
 */
function sparseOf(inputs: Float32Array): { positions: Uint32Array; values: Float32Array } | undefined {
  if (inputs.length > MAX_SPARSE_SET_INPUTS) return undefined;
  const bits = new Uint32Array(inputs.buffer, inputs.byteOffset, inputs.length);
  let kept = 0;
  for (let i = 0; i < bits.length; i++) kept += bits[i] === 0 ? 0 : 1;
  if (kept * SPARSE_SHARE > inputs.length) return undefined;
  const positions = new Uint32Array(kept);
  const values = new Float32Array(kept);
  for (let i = 0, k = 0; i < bits.length; i++) {
    if (bits[i] === 0) continue;
    positions[k] = i;
    values[k++] = inputs[i];
  }
  return { positions, values };
}

/** Sparse where at most 1 in this many inputs is kept (each kept one takes 8 bytes against a dense 4). */
const SPARSE_SHARE = 8;
/**
 * The most inputs a sparse set has (2 GiB of floats, the most the cache keeps): a few bytes of a sparse set
 * would otherwise ask a reader to allocate any amount of memory.
 */
const MAX_SPARSE_SET_INPUTS = 2 ** 29;

export function encodeDataset(dataset: Stored): Buffer {
  return Buffer.concat(datasetFileParts(dataset));
}

/** The dataset in `bytes`, or undefined when they are not a whole, consistent dataset file. */
export function decodeDataset(bytes: Uint8Array): Stored | undefined {
  return decodeDatasetFile(bytes)?.dataset;
}

/** The dataset in `bytes` and the warnings kept with it, or undefined when they are not a whole, consistent dataset file. */
export function decodeDatasetFile(bytes: Uint8Array): { dataset: Stored; warnings: string[] } | undefined {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < MAGIC.length + 4 || !MAGICS.has(buffer.toString('latin1', 0, MAGIC.length))) return undefined;
  const headerLength = buffer.readUInt32LE(MAGIC.length);
  let offset = MAGIC.length + 4 + headerLength;
  if (offset > buffer.length) return undefined;
  let header: unknown;
  try {
    header = JSON.parse(buffer.toString('utf8', MAGIC.length + 4, offset));
  } catch {
    return undefined;
  }
  if (!isPlainObject(header) || typeof header.name !== 'string' || !Array.isArray(header.sets) || header.sets.length !== 2) return undefined;
  const shape = header.inputShape;
  if (!Array.isArray(shape) || shape.length < 1 || shape.length > 3 || !shape.every((n) => Number.isInteger(n) && n > 0)) return undefined;
  const classNames = header.classNames;
  if (!Array.isArray(classNames) || classNames.length > 256 || !classNames.every((name) => typeof name === 'string')) return undefined;
  const target = header.target;
  const regression = isPlainObject(target) && typeof target.name === 'string' && Number.isFinite(target.mean) && Number.isFinite(target.std) && (target.std as number) > 0;
  if (!regression && classNames.length < 2) return undefined;
  const size = (shape as number[]).reduce((a, b) => a * b, 1);
  const sets: ExampleSet[] = [];
  for (const entry of header.sets as unknown[]) {
    const read = readSet(buffer, offset, entry, { size, regression, classCount: classNames.length });
    if (!read) return undefined;
    sets.push(read.set);
    offset = read.end;
  }
  if (offset !== buffer.length) return undefined;
  const warnings = Array.isArray(header.warnings) ? header.warnings.slice(0, MAX_WARNINGS).map(String) : [];
  const table = header.table === undefined ? undefined : tableOf(header.table);
  const testText = testTextOf(header.testText, sets[1].count);
  if (table === null || testText === null) return undefined;
  const tokens = table ? tokenInputOf(table, shape as number[], sets) : undefined;
  if (tokens === null) return undefined;
  const dataset: Stored = {
    name: header.name,
    inputShape: shape as number[],
    ...tokens,
    classNames: classNames as string[],
    ...(table ? { table } : {}),
    ...(testText ? { testText } : {}),
    target: regression ? (target as unknown as Dataset['target']) : undefined,
    notes: Array.isArray(header.notes) ? header.notes.map(String) : [],
    train: sets[0],
    test: sets[1],
  };
  return { dataset, warnings };
}

/** One set's inputs and labels from `offset` on, as its header entry describes them, checked; undefined where they do not fit. */
function readSet(buffer: Buffer, offset: number, entry: unknown, { size, regression, classCount }: { size: number; regression: boolean; classCount: number }): { set: ExampleSet; end: number } | undefined {
  if (!isPlainObject(entry) || !Number.isInteger(entry.count) || (entry.count as number) < 1 || typeof entry.floats !== 'boolean') return undefined;
  if ((entry.numbers === true) !== regression) return undefined;
  const count = entry.count as number;
  const sparse = entry.sparse;
  if (sparse !== undefined && (!entry.floats || count * size > MAX_SPARSE_SET_INPUTS || !Number.isInteger(sparse) || (sparse as number) < 0 || (sparse as number) > count * size)) return undefined;
  const inputBytes = sparse === undefined ? count * size * (entry.floats ? 4 : 1) : (sparse as number) * 8;
  const labelBytes = count * (regression ? 4 : 1);
  if (offset + inputBytes + labelBytes > buffer.length) return undefined;
  // Bytes are views into the file's buffer (a dataset is most of its file; a copy would double the memory);
  // floats are copied, as a Float32Array needs 4-byte-aligned memory.
  const copied = (from: number, to: number) => Uint8Array.from(buffer.subarray(offset + from, offset + to)).buffer;
  const labelsAt = offset + inputBytes;
  const labels = regression ? new Float32Array(copied(inputBytes, inputBytes + labelBytes)) : new Uint8Array(buffer.buffer, buffer.byteOffset + labelsAt, count);
  if (regression ? labels.some((value) => !Number.isFinite(value)) : labels.some((label) => label >= classCount)) return undefined;
  const end = labelsAt + labelBytes;
  // A sparse set stays sparse (its dense inputs are made if a reader asks): see sparseSet.
  if (sparse !== undefined) {
    const rows = sparseRowsOf(new Uint32Array(copied(0, inputBytes / 2)), new Float32Array(copied(inputBytes / 2, inputBytes)), count, size);
    return rows && { set: sparseSet(rows, labels), end };
  }
  const inputs = entry.floats ? new Float32Array(copied(0, inputBytes)) : new Uint8Array(buffer.buffer, buffer.byteOffset + offset, inputBytes);
  return { set: { inputs, labels, count }, end };
}

/**
 * A table's input follows from its encoding: where it starts with a text's token ids, the vocabulary's size
 * (every id one of it) and the columns after the ids; undefined where it does not; null where the inputs do
 * not fit the encoding.
 */
function tokenInputOf(table: TableEncoding, shape: readonly number[], sets: readonly ExampleSet[]): { vocabularySize: number; sideFeatures?: number } | undefined | null {
  const { inputShape, vocabularySize, sideFeatures } = tableInputOf(table);
  if (inputShape.join() !== shape.join()) return null;
  if (vocabularySize === undefined) return undefined;
  const ids = inputShape[0] - (sideFeatures ?? 0);
  if (sets.some((set) => !idsFit(set, inputShape[0], ids, vocabularySize))) return null;
  return { vocabularySize, ...(sideFeatures === undefined ? {} : { sideFeatures }) };
}

/** Whether each row's first `ids` values (of `width`) are token ids below `vocabularySize`. */
function idsFit(set: ExampleSet, width: number, ids: number, vocabularySize: number): boolean {
  const isId = (value: number) => Number.isInteger(value) && value >= 0 && value < vocabularySize;
  // A sparse set's rows are checked where they are (the zeros left out are padding): its dense rows are not made.
  // A plain loop: every() with a closure over the set took 20 ms for the spam e-mails' 216,000 values.
  if (set.sparse) {
    const { values, index } = set.sparse;
    for (let k = 0; k < values.length; k++) if (index[k] < ids && !isId(values[k])) return false;
    return true;
  }
  for (let row = 0; row < set.count; row++) {
    for (let k = row * width; k < row * width + ids; k++) {
      if (!isId(set.inputs[k])) return false;
    }
  }
  return true;
}

/** The table encoding in a header, checked as a run's table.json is; null when it is not one. */
function tableOf(value: unknown): TableEncoding | null {
  try {
    return parseTableEncoding(value, 'dataset file');
  } catch {
    return null;
  }
}

/** The test rows' text in a header: undefined when there is none, null when it is not what specml writes. */
function testTextOf(value: unknown, count: number): TestText | undefined | null {
  if (value === undefined) return undefined;
  if (!isPlainObject(value) || typeof value.column !== 'string' || !Array.isArray(value.cells) || value.cells.length !== count) return null;
  if (!value.cells.every((cell) => typeof cell === 'string' && cell.length <= TEST_TEXT_LENGTH)) return null;
  return { column: value.column, cells: value.cells as string[] };
}
