import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { encodeRows, parseTableEncoding, readCsv, rowIndices } from '@specml/data';
import { beforeAll, describe, expect, it } from 'vitest';
import { lastLine, root, specml, temporaryFolder } from '../test-kit/test-cli.js';
import { checkOnnx, hasOnnxChecker, hasRData, runR } from '../test-kit/test-python.js';

// A text read as a sequence of token ids (encoding: sequence) for a model that starts with an embedding:
// on modeldata's small_fine_foods reviews as R writes them, and the mistakes a spec can make with it.

const work = temporaryFolder('text-sequences');
const write = (name: string, text: string) => {
  writeFileSync(join(work, name), text);
  return join(work, name);
};

describe.skipIf(!hasRData)('text read as a sequence, on real reviews (modeldata)', () => {
  beforeAll(() => {
    runR(`library(modeldata); data(small_fine_foods)
write.csv(training_data[1:1500, ], "${join(work, 'foods-train.csv')}", row.names = FALSE)
write.csv(testing_data[1:300, ], "${join(work, 'foods-test.csv')}", row.names = FALSE)`);
  });

  it('trains embedding, conv1d and average pooling on the reviews\' tokens, exports the model for ONNX Runtime, and predicts new rows', async () => {
    const file = write('foods.yaml', `name: foods-sequence
seed: 1
data: { dataset: csv, path: foods-train.csv, testPath: foods-test.csv, target: score, validationSplit: 0.2, columns: { product: ignore, review: { type: text, encoding: sequence, maxTokens: 4000, maxLength: 100 } } }
model:
  layers:
    - { type: embedding, dimension: 16 }
    - { type: conv1d, filters: 16, kernelSize: 3, padding: same, activation: relu }
    - { type: globalAveragePooling1d }
    - { units: 2, activation: softmax }
optimizer: { name: adam, learningRate: 0.01 }
batchSize: 32
epochs: 15
earlyStopping: { patience: 3 }
`);
    const validated = specml(['validate', file]);
    expect(validated.status, validated.stderr).toBe(0);
    expect(validated.stdout).toContain('  input: each row\'s first 100 token ids, of 4002 (padding, unknown and the vocabulary)\n');
    expect(validated.stdout).toMatch(/column review: text, a vocabulary of 4000 tokens \(a sequence of up to 100 token ids\), \d\d\.\d % of the test rows' tokens in it; tokens per training row: median \d+, 90th percentile \d+, most \d+; \d+\.\d % of the training rows are longer than maxLength 100 and are cut$/m);
    expect(validated.stdout).toMatch(/1 embedding\s+\[100, 16\]\s+64,032\n/);
    const run = specml(['exp', file, '--runs-dir', join(work, 'runs')]);
    expect(run.status, run.stderr).toBe(0);
    const dir = resolve(root, lastLine(run.stdout));
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    expect(summary.final.test_accuracy).toBeGreaterThan(summary.baseline.test_accuracy + 0.1);
    const table = JSON.parse(readFileSync(join(dir, 'table.json'), 'utf8'));
    expect(table.features).toEqual([expect.objectContaining({ name: 'review', type: 'text', encoding: 'sequence', maxLength: 100 })]);

    // The export takes the token ids: ONNX Runtime gives the run's own test probabilities.
    const exported = specml(['export', '--run', dir]);
    expect(exported.status, exported.stderr).toBe(0);
    expect(exported.stdout).toContain('input features [batch, 100] (a text\'s token ids: 0 pads, 1 is a token outside the vocabulary, 2 on are the vocabulary in table.json');
    const testTable = readCsv(join(work, 'foods-test.csv'));
    const { inputs } = encodeRows(testTable, rowIndices(testTable), parseTableEncoding(table, 'table.json'));
    const session = await ort.InferenceSession.create(join(dir, 'model.onnx'));
    const probabilities = (await session.run({ features: new ort.Tensor('float32', inputs, [testTable.rowCount, 100]) })).probabilities.data as Float32Array;
    await session.release();
    const written = readFileSync(join(dir, 'predictions.csv'), 'utf8').split('\n').slice(1, -1).map((line) => Number(line.split(',')[3]));
    expect(written).toHaveLength(testTable.rowCount);
    expect(Math.max(...written.map((great, row) => Math.abs(great - probabilities[row * 2])))).toBeLessThan(6e-5);

    const rows = write('new-reviews.csv', 'review\n"Absolutely delicious, the best tasting snack, my kids love it. Will buy again!"\n"Stale, tasteless and overpriced.<br />A waste of money, I threw it away."\n');
    const predicted = specml(['predict', '--run', dir, rows, '--json']);
    expect(predicted.status, predicted.stderr).toBe(0);
    // A model of 75 % test accuracy: the glowing review is 'great', and more so than the scathing one.
    const [glowing, scathing] = JSON.parse(predicted.stdout) as Array<{ class: string; probabilities: { great: number } }>;
    expect(glowing.class).toBe('great');
    expect(glowing.probabilities.great).toBeGreaterThan(scathing.probabilities.great + 0.2);
  });
});

describe('a text read as a sequence beside other columns', () => {
  it('joins the other columns to the text\'s vector at the first dense layer: trains, exports for ONNX Runtime and predicts new rows', async () => {
    // The e-mails of experiments/data (SpamAssassin): the body as a sequence, the subject as a bag of words.
    const file = write('mails.yaml', `name: mails
seed: 1
data: { dataset: csv, path: ${join(root, 'experiments/data/spam.csv')}, target: label, validationSplit: 0.2, columns: { body: { type: text, encoding: sequence, maxTokens: 3000, maxLength: 80 }, subject: { type: text, maxTokens: 300 } } }
model:
  layers:
    - { type: embedding, dimension: 8 }
    - { type: globalMaxPooling1d }
    - { units: 8, activation: relu }
    - { units: 2, activation: softmax }
optimizer: { name: adam, learningRate: 0.03 }
batchSize: 32
epochs: 4
`);
    const validated = specml(['validate', file]);
    expect(validated.status, validated.stderr).toBe(0);
    expect(validated.stdout).toContain('  input: each row\'s first 80 token ids, of 3002 (padding, unknown and the vocabulary), then 300 inputs from the other columns (joined at the first dense layer)\n');
    // The dense layer's kernel reads the pooled text's 8 values and the subject's 300: (8 + 300) × 8 + 8.
    expect(validated.stdout).toMatch(/3 dense relu \(\+300 other columns\)\s+\[8\]\s+2,472\n/);
    const run = specml(['exp', file, '--runs-dir', join(work, 'runs-mails')]);
    expect(run.status, run.stderr).toBe(0);
    const dir = resolve(root, lastLine(run.stdout));
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    expect(summary.final.test_accuracy).toBeGreaterThan(0.9);
    const table = JSON.parse(readFileSync(join(dir, 'table.json'), 'utf8'));
    // The sequence first in every row (the header has the subject first), the other columns after it.
    expect(table.features.map((column: { name: string }) => column.name)).toEqual(['body', 'subject']);

    const exported = specml(['export', '--run', dir]);
    expect(exported.status, exported.stderr).toBe(0);
    expect(exported.stdout).toContain('input features [batch, 380] (a text\'s token ids: 0 pads, 1 is a token outside the vocabulary, 2 on are the vocabulary in table.json, in its order; the last 300 are the other columns encoded as in table.json;');
    if (hasOnnxChecker) expect(checkOnnx(join(dir, 'model.onnx'))).toContain('table_encoding');
    const mails = readCsv(join(root, 'experiments/data/spam.csv'));
    const rows = rowIndices(mails).slice(0, 200);
    const { inputs } = encodeRows(mails, rows, parseTableEncoding(table, 'table.json'));
    const session = await ort.InferenceSession.create(join(dir, 'model.onnx'));
    const onnx = (await session.run({ features: new ort.Tensor('float32', inputs, [rows.length, 380]) })).probabilities.data as Float32Array;
    await session.release();
    const predicted = specml(['predict', '--run', dir, join(root, 'experiments/data/spam.csv'), '--json']);
    expect(predicted.status, predicted.stderr).toBe(0);
    const byModel = (JSON.parse(predicted.stdout) as Array<{ probabilities: Record<string, number> }>).slice(0, rows.length).map((row) => row.probabilities.ham);
    expect(Math.max(...byModel.map((ham, row) => Math.abs(ham - onnx[row * 2])))).toBeLessThan(1e-5);
  });

  it('trains with a number and a category beside the text on tfjs as on the native engine', () => {
    write('tickets.csv', ['note,hours,team,label', ...Array.from({ length: 40 }, (_, k) => `"${k % 2 ? 'printer jammed again today' : 'password reset needed please'} ${k}",${(k * 7) % 13},${['red', 'blue', 'green'][k % 3]},${k % 2 ? 'hardware' : 'account'}`)].join('\n') + '\n');
    const file = write('tickets.yaml', `name: tickets
seed: 3
data: { dataset: csv, path: tickets.csv, target: label, testSplit: 0.25, columns: { note: { type: text, encoding: sequence, maxLength: 6 } } }
model: { layers: [{ type: embedding, dimension: 4 }, { type: conv1d, filters: 3, kernelSize: 2 }, { units: 2, activation: softmax }] }
optimizer: { name: adam, learningRate: 0.05 }
batchSize: 8
epochs: 3
`);
    const metrics = (backend: string) => {
      const run = specml(['exp', file, '--runs-dir', join(work, `runs-tickets-${backend}`), '--backend', backend]);
      expect(run.status, run.stderr).toBe(0);
      return readFileSync(join(resolve(root, lastLine(run.stdout)), 'metrics.csv'), 'utf8').split('\n').slice(1, -1).map((line) => line.split(',').slice(1, 4).map(Number));
    };
    const native = metrics('native');
    const tfjs = metrics('cpu');
    expect(native).toHaveLength(4);
    native.flat().forEach((value, k) => expect(value).toBeCloseTo(tfjs.flat()[k], 4));
  });
});

describe('text read as a sequence: mistakes', () => {
  it('refuses a maxLength of 0, an embedding without token ids and token ids without an embedding, at their place, writing nothing', () => {
    write('notes.csv', 'note,zip,label\n"good food here",10115,a\n"bad food there",80331,b\n"fine food, really",10117,a\n"awful",10119,b\n');
    const sequence = '{ type: text, encoding: sequence, maxLength: 8 }';
    const embedding = '[{ type: embedding, dimension: 4 }, { type: globalAveragePooling1d }, { units: 2, activation: softmax }]';
    const cases: Array<[string, string, string, RegExp]> = [
      ['length', '{ zip: ignore, note: { type: text, encoding: sequence, maxLength: 0 } }', embedding, /length\.yaml:2:\d+: data\.columns\.note\.maxLength: must be >= 1, got 0/],
      ['bag', '{ zip: ignore, note: text }', embedding, /bag\.yaml:3:\d+: model\.layers\[0\]: an embedding layer reads token ids, so it must be the first layer and the table's text column must be read as a sequence \(data\.columns\.<name>: \{ type: text, encoding: sequence \}\)/],
      ['dense', `{ zip: ignore, note: ${sequence} }`, '[{ units: 2, activation: softmax }]', /dense\.yaml:3:\d+: model\.layers\[0\]: the model's input is a text's token ids \(a column read as encoding: sequence\), which only an embedding layer reads: start model\.layers with one \(\{ type: embedding, dimension: 32 \}\)/],
      ['vector', '{ note: ignore }', '[{ type: conv1d, filters: 2 }, { units: 2, activation: softmax }]', /vector\.yaml:3:\d+: model\.layers\[0\]: a conv1d layer needs a sequence \(a text column read as encoding: sequence, after an embedding layer\), but its input is a vector/],
    ];
    for (const [name, columns, layers, message] of cases) {
      const file = write(`${name}.yaml`, `name: ${name}\ndata: { dataset: csv, path: notes.csv, target: label, testSplit: 0.5, columns: ${columns} }\nmodel: { layers: ${layers} }\nbatchSize: 2\n`);
      const run = specml(['exp', file, '--runs-dir', join(work, `runs-${name}`)]);
      expect(run.status, run.stdout + run.stderr).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(join(work, `runs-${name}`, name))).toBe(false);
    }
  });
});
