import { describe, expect, it } from 'vitest';
import { TEST_TEXT_LENGTH, type Dataset } from './dataset.js';
import { decodeDataset, encodeDataset } from './dataset-file.js';
import { TOKENIZER_VERSION } from './text/tokenize.js';

const images: Omit<Dataset, 'validation'> = {
  name: 'imageFolder',
  train: { inputs: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), labels: Uint8Array.of(0, 1), count: 2 },
  test: { inputs: Uint8Array.of(9, 10, 11, 12), labels: Uint8Array.of(1), count: 1 },
  inputShape: [2, 2, 1],
  classNames: ['cat', 'dog'],
  notes: ['3 images as 2×2×1'],
};
const table: Omit<Dataset, 'validation'> = {
  name: 'csv',
  train: { inputs: Float32Array.of(0.5, -1.25, 2, 3), labels: Float32Array.of(151.5, 75), count: 2 },
  test: { inputs: Float32Array.of(1, 1), labels: Float32Array.of(141), count: 1 },
  inputShape: [2],
  classNames: [],
  target: { name: 'progression', mean: 113.25, std: 38.25 },
  table: { target: 'progression', features: [{ name: 'bmi', type: 'number', mean: 26, std: 4 }, { name: 'bp', type: 'number', mean: 94, std: 13 }], format: { missing: ['', 'NA'], delimiter: ';', decimal: ',', encoding: 'latin1' }, distinctValues: { bmi: 57, bp: 12 } },
  testText: { column: 'notes', cells: ['a \u{1F600} note'] },
  notes: [],
};

/** A text read as a sequence: three token ids per row from a vocabulary of two tokens (ids 0–3). */
const sequence: Omit<Dataset, 'validation'> = {
  name: 'csv',
  train: { inputs: Float32Array.of(2, 3, 0, 1, 2, 2), labels: Uint8Array.of(0, 1), count: 2 },
  test: { inputs: Float32Array.of(3, 0, 0), labels: Uint8Array.of(1), count: 1 },
  inputShape: [3],
  vocabularySize: 4,
  classNames: ['ham', 'spam'],
  table: { target: 'label', features: [{ name: 'body', type: 'text', vocabulary: ['free', 'offer'], encoding: 'sequence', maxLength: 3, lowercase: true, ngrams: 1, tokenizer: TOKENIZER_VERSION }] },
  notes: [],
};

describe('the dataset file (the cache\'s, and what a queue ships)', () => {
  it('gives back a text read as a sequence with its vocabulary\'s size, and refuses ids outside it or an input that is not the encoding\'s', () => {
    const back = decodeDataset(encodeDataset(sequence))!;
    expect(back.vocabularySize).toBe(4);
    expect(back.train.inputs).toEqual(sequence.train.inputs);
    expect(back.table!.features).toEqual(sequence.table!.features);
    expect(decodeDataset(encodeDataset({ ...sequence, test: { ...sequence.test, inputs: Float32Array.of(4, 0, 0) } }))).toBeUndefined();
    expect(decodeDataset(encodeDataset({ ...sequence, test: { ...sequence.test, inputs: Float32Array.of(2.5, 0, 0) } }))).toBeUndefined();
    expect(decodeDataset(encodeDataset({ ...sequence, table: { ...sequence.table!, features: [{ ...sequence.table!.features[0], maxLength: 2 } as never] } }))).toBeUndefined();
  });

  it('checks a mostly padded sequence\'s ids where its sparse rows are: an id outside the vocabulary is refused there too', () => {
    const padded = (id: number): Omit<Dataset, 'validation'> => ({
      ...sequence,
      train: { inputs: Float32Array.from({ length: 40 }, (_, k) => (k % 20 === 0 ? id : 0)), labels: Uint8Array.of(0, 1), count: 2 },
      test: { inputs: Float32Array.from({ length: 20 }, (_, k) => (k === 0 ? 2 : 0)), labels: Uint8Array.of(1), count: 1 },
      inputShape: [20],
      table: { ...sequence.table!, features: [{ ...sequence.table!.features[0], maxLength: 20 } as never] },
    });
    const back = decodeDataset(encodeDataset(padded(3)))!;
    expect(back.train.sparse).toBeDefined();
    expect(back.train.inputs).toEqual(padded(3).train.inputs);
    expect(decodeDataset(encodeDataset(padded(4)))).toBeUndefined();
    expect(decodeDataset(encodeDataset(padded(2.5)))).toBeUndefined();
  });

  it('gives back a sequence followed by other columns: ids checked in the ids only, the rest any number', () => {
    const withAge: Omit<Dataset, 'validation'> = {
      ...sequence,
      train: { ...sequence.train, inputs: Float32Array.of(2, 3, 0, -1.5, 1, 2, 2, 0.25) },
      test: { ...sequence.test, inputs: Float32Array.of(3, 0, 0, 7.5) },
      inputShape: [4],
      sideFeatures: 1,
      table: { ...sequence.table!, features: [...sequence.table!.features, { name: 'age', type: 'number', mean: 40, std: 9 }] },
    };
    const back = decodeDataset(encodeDataset(withAge))!;
    expect(back).toMatchObject({ vocabularySize: 4, sideFeatures: 1, inputShape: [4] });
    expect(back.train.inputs).toEqual(withAge.train.inputs);
    // An id out of the vocabulary is refused, as without other columns.
    expect(decodeDataset(encodeDataset({ ...withAge, test: { ...withAge.test, inputs: Float32Array.of(3, 9, 0, 7.5) } }))).toBeUndefined();
  });

  it('gives back images with class labels, and table rows with numeric targets, exactly', () => {
    for (const dataset of [images, table]) {
      const back = decodeDataset(encodeDataset(dataset))!;
      expect(back.train.inputs).toEqual(dataset.train.inputs);
      expect(back.train.labels).toEqual(dataset.train.labels);
      expect(back.test.labels).toEqual(dataset.test.labels);
      expect(back.train.labels.constructor).toBe(dataset.train.labels.constructor);
      expect([back.inputShape, back.classNames, back.target, back.table, back.notes, back.testText]).toEqual([dataset.inputShape, dataset.classNames, dataset.target, dataset.table, dataset.notes, dataset.testText]);
    }
  });

  it('refuses bytes that are not a whole, consistent dataset file', () => {
    const bytes = encodeDataset(images);
    expect(decodeDataset(bytes.subarray(0, bytes.length - 1))).toBeUndefined(); // truncated
    expect(decodeDataset(Buffer.concat([bytes, Buffer.of(0)]))).toBeUndefined(); // trailing bytes
    const outOfRange = Buffer.from(bytes);
    outOfRange[outOfRange.length - 1] = 7; // the test label: no class 7
    expect(decodeDataset(outOfRange)).toBeUndefined();
    expect(decodeDataset(Buffer.from('specml-dataset-1\n\u0005\u0000\u0000\u0000{"x":1}'))).toBeUndefined();
    const nan = encodeDataset({ ...table, test: { ...table.test, labels: Float32Array.of(Number.NaN) } });
    expect(decodeDataset(nan)).toBeUndefined();
    // The table and the test rows' text are checked as a run's table.json is: a damaged one is no dataset.
    expect(decodeDataset(encodeDataset({ ...table, table: { ...table.table!, features: [{ name: 'bmi', type: 'number', mean: 26, std: -4 }] } }))).toBeUndefined();
    expect(decodeDataset(encodeDataset({ ...table, testText: { column: 'notes', cells: ['one', 'too many'] } }))).toBeUndefined();
    expect(decodeDataset(encodeDataset({ ...table, testText: { column: 'notes', cells: ['x'.repeat(TEST_TEXT_LENGTH + 1)] } }))).toBeUndefined();
  });

  it('keeps a bag of words\' rows (almost all zeros) sparse, gives them back bit for bit, and refuses positions that do not fit', () => {
    const width = 400;
    const rows = (count: number, seed: number) => {
      const inputs = new Float32Array(count * width);
      // A few entries a row, among them a -0 (not +0: kept) and a value that is not a number.
      for (let row = 0; row < count; row++) for (let k = 0; k < 5; k++) inputs[row * width + ((row * 37 + k * 71 + seed) % width)] = (k + 1) / (row + 2);
      inputs[3] = -0;
      inputs[width + 7] = Number.NaN;
      return inputs;
    };
    const words: Omit<Dataset, 'validation'> = {
      name: 'csv',
      train: { inputs: rows(50, 1), labels: Uint8Array.from({ length: 50 }, (_, k) => k % 2), count: 50 },
      test: { inputs: rows(10, 2), labels: Uint8Array.from({ length: 10 }, (_, k) => k % 2), count: 10 },
      inputShape: [width],
      classNames: ['ham', 'spam'],
      notes: [],
    };
    const bytes = encodeDataset(words);
    const dense = 60 * width * 4;
    expect(bytes.length).toBeLessThan(dense / 8);
    const back = decodeDataset(bytes)!;
    for (const set of ['train', 'test'] as const) {
      const bits = (array: Uint8Array | Float32Array) => Array.from(new Uint32Array(array.buffer, array.byteOffset, array.length));
      expect(bits(back[set].inputs)).toEqual(bits(words[set].inputs));
      expect(back[set].labels).toEqual(words[set].labels);
    }
    expect(Object.is(back.train.inputs[3], -0)).toBe(true);
    // The same dataset laid out by hand: header, then each set's positions, values and labels.
    const file = (train: { positions: number[]; values: number[]; sparse?: number; floats?: boolean; inputShape?: number[] }) => {
      const header = Buffer.from(JSON.stringify({ name: 'csv', inputShape: train.inputShape ?? [2], classNames: ['a', 'b'], notes: [], sets: [{ count: 2, floats: train.floats ?? true, sparse: train.sparse ?? train.positions.length }, { count: 1, floats: true }] }));
      const length = Buffer.alloc(4);
      length.writeUInt32LE(header.length);
      const part = (array: Uint32Array | Float32Array | Uint8Array) => Buffer.from(array.buffer, array.byteOffset, array.byteLength);
      return Buffer.concat([Buffer.from('specml-dataset-2\n'), length, header, part(Uint32Array.from(train.positions)), part(Float32Array.from(train.values)), part(Uint8Array.of(0, 1)), part(Float32Array.of(1, 2)), part(Uint8Array.of(1))]);
    };
    expect(Array.from(decodeDataset(file({ positions: [0, 3], values: [5, 6] }))!.train.inputs)).toEqual([5, 0, 0, 6]);
    expect(decodeDataset(file({ positions: [3, 0], values: [5, 6] }))).toBeUndefined(); // not increasing
    expect(decodeDataset(file({ positions: [1, 1], values: [5, 6] }))).toBeUndefined(); // twice the same entry
    expect(decodeDataset(file({ positions: [0, 4], values: [5, 6] }))).toBeUndefined(); // past the set's 2 × 2 inputs
    expect(decodeDataset(file({ positions: [0, 1], values: [5, 6], sparse: 5 }))).toBeUndefined(); // more entries than inputs
    expect(decodeDataset(file({ positions: [0, 1], values: [5, 6], sparse: -1 }))).toBeUndefined();
    expect(decodeDataset(file({ positions: [0, 1], values: [5, 6], floats: false }))).toBeUndefined(); // bytes are never sparse
    // A few bytes claiming 2 × 2^30 inputs: refused before anything that size is allocated.
    expect(decodeDataset(file({ positions: [0, 1], values: [5, 6], inputShape: [2 ** 10, 2 ** 10, 2 ** 10] }))).toBeUndefined();
  });

  it('still reads a version-1 file (every set dense), as an older cache keeps them', () => {
    const current = encodeDataset(images);
    const older = Buffer.concat([Buffer.from('specml-dataset-1\n'), current.subarray('specml-dataset-2\n'.length)]);
    expect(decodeDataset(older)!.train.inputs).toEqual(images.train.inputs);
    expect(decodeDataset(Buffer.concat([Buffer.from('specml-dataset-9\n'), current.subarray('specml-dataset-2\n'.length)]))).toBeUndefined();
  });
});
