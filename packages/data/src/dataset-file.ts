import { TEST_TEXT_LENGTH, type Dataset, type ExampleSet, type TableEncoding, type TestText } from './dataset.js';
import { isPlainObject } from './plain-object.js';
import { parseTableEncoding, tableInputOf } from './table.js';

// A decoded dataset as one file: what the cache keeps and what the queue ships to workers. Read back from
// disk or from Redis, it is untrusted: every count and size is checked against the bytes before use.

const MAGIC = 'specml-dataset-1\n';

type Stored = Omit<Dataset, 'validation'>;

/** The most warnings a dataset file keeps (they are one sentence each). */
const MAX_WARNINGS = 32;

/**
 * The dataset file's parts, in order: header, then each set's inputs and labels (views, not copies).
 * `warnings`: what decoding the user's files said (filled cells, skipped files), given again by a cache hit.
 */
export function datasetFileParts(dataset: Stored, warnings: readonly string[] = []): Uint8Array[] {
  const sets = [dataset.train, dataset.test];
  const header = Buffer.from(JSON.stringify({
    warnings: warnings.slice(0, MAX_WARNINGS),
    name: dataset.name,
    inputShape: dataset.inputShape,
    classNames: dataset.classNames,
    table: dataset.table,
    target: dataset.target,
    notes: dataset.notes,
    testText: dataset.testText,
    sets: sets.map((set) => ({ count: set.count, floats: set.inputs instanceof Float32Array, numbers: set.labels instanceof Float32Array })),
  }));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.length);
  const parts: Uint8Array[] = [Buffer.from(MAGIC), length, header];
  for (const set of sets) {
    parts.push(new Uint8Array(set.inputs.buffer, set.inputs.byteOffset, set.inputs.byteLength), new Uint8Array(set.labels.buffer, set.labels.byteOffset, set.labels.byteLength));
  }
  return parts;
}

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
  if (buffer.length < MAGIC.length + 4 || buffer.toString('latin1', 0, MAGIC.length) !== MAGIC) return undefined;
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
    if (!isPlainObject(entry) || !Number.isInteger(entry.count) || (entry.count as number) < 1 || typeof entry.floats !== 'boolean') return undefined;
    if ((entry.numbers === true) !== regression) return undefined;
    const count = entry.count as number;
    const inputBytes = count * size * (entry.floats ? 4 : 1);
    const labelBytes = count * (regression ? 4 : 1);
    if (offset + inputBytes + labelBytes > buffer.length) return undefined;
    // Bytes are views into the file's buffer (a dataset is most of its file; a copy would double the memory);
    // floats are copied, as a Float32Array needs 4-byte-aligned memory.
    const raw = buffer.subarray(offset, offset + inputBytes);
    const inputs = entry.floats ? new Float32Array(Uint8Array.from(raw).buffer) : new Uint8Array(raw.buffer, raw.byteOffset, raw.length);
    offset += inputBytes;
    const labels = regression ? new Float32Array(Uint8Array.from(buffer.subarray(offset, offset + labelBytes)).buffer) : new Uint8Array(buffer.buffer, buffer.byteOffset + offset, count);
    offset += labelBytes;
    if (regression ? labels.some((value) => !Number.isFinite(value)) : labels.some((label) => label >= classNames.length)) return undefined;
    sets.push({ inputs, labels, count });
  }
  if (offset !== buffer.length) return undefined;
  const warnings = Array.isArray(header.warnings) ? header.warnings.slice(0, MAX_WARNINGS).map(String) : [];
  const table = header.table === undefined ? undefined : tableOf(header.table);
  const testText = testTextOf(header.testText, sets[1].count);
  if (table === null || testText === null) return undefined;
  const tokens = table ? tokensOf(table, shape as number[], sets) : undefined;
  if (tokens === null) return undefined;
  const dataset: Stored = {
    name: header.name,
    inputShape: shape as number[],
    ...(tokens === undefined ? {} : { vocabularySize: tokens }),
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

/**
 * A table's input follows from its encoding: its vocabulary's size where it is a text's token ids (every id
 * one of it), undefined where it is not; null where the inputs do not fit the encoding.
 */
function tokensOf(table: TableEncoding, shape: readonly number[], sets: readonly ExampleSet[]): number | undefined | null {
  const input = tableInputOf(table);
  if (input.inputShape.join() !== shape.join()) return null;
  const tokens = input.vocabularySize;
  if (tokens !== undefined && sets.some((set) => set.inputs.some((id) => !Number.isInteger(id) || id < 0 || id >= tokens))) return null;
  return tokens;
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
