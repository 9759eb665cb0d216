import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { lastLine, root, specml, temporaryFolder } from '../test-kit/test-cli.js';
import * as ort from 'onnxruntime-node';
import { onnxMetadataOf } from '@specml/model-zoo';
import { encodeRows, parseTableEncoding, readCsv, rowIndices } from '@specml/data';
import { hasRData, hasSklearn, pythonJson, runR } from '../test-kit/test-python.js';

// Free text as people export it: modeldata's small_fine_foods (Amazon fine-food reviews, "great" or "other",
// with <br /> markup and product ids) and tate_text (Tate artworks: artist, title, medium and year), as R writes them.

const work = temporaryFolder('text-tables');
const spec = (name: string, columns: string, extra = '') => `name: ${name}
seed: 1
data: { dataset: csv, path: foods-train.csv, testPath: foods-test.csv, target: score, validationSplit: 0.2, columns: ${columns}${extra} }
model:
  layers:
    - { units: 2, activation: softmax }
optimizer: { name: adam, learningRate: 0.01 }
batchSize: 32
epochs: 6
`;
const write = (name: string, text: string) => {
  writeFileSync(join(work, name), text);
  return join(work, name);
};

describe.skipIf(!hasRData)('text columns on real tables exported by R (modeldata)', () => {
  beforeAll(() => {
    runR(`library(modeldata); data(small_fine_foods); data(tate_text)
write.csv(training_data[1:1500, ], "${join(work, 'foods-train.csv')}", row.names = FALSE)
write.csv(testing_data[1:400, ], "${join(work, 'foods-test.csv')}", row.names = FALSE)
write.csv(tate_text[1:1500, ], "${join(work, 'tate.csv')}", row.names = FALSE)`);
  });

  it('reads a review column as text with one line of spec, trains, exports, and predicts new rows with the saved vocabulary', async () => {
    const file = write('foods.yaml', spec('foods', '{ product: ignore, review: text }'));
    const validated = specml(['validate', file]);
    expect(validated.status, validated.stderr).toBe(0);
    expect(validated.stdout).toMatch(/column review: text, a vocabulary of \d{4} tokens \(tfidf\), \d\d\.\d % of the test rows' tokens in it; tokens per training row: median \d+, 90th percentile \d+, most \d+$/m);
    const run = specml(['exp', file, '--runs-dir', join(work, 'runs')]);
    expect(run.status, run.stderr).toBe(0);
    const dir = resolve(root, lastLine(run.stdout));
    const table = JSON.parse(readFileSync(join(dir, 'table.json'), 'utf8'));
    expect(table.features.map((column: { name: string; type: string }) => `${column.name}:${column.type}`)).toEqual(['review:text']);
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    // It learnt from the words: better than always answering the most frequent class.
    expect(summary.final.test_accuracy).toBeGreaterThan(summary.baseline.test_accuracy + 0.1);
    // predictions.csv and the report show each test row's text beside its prediction; the report, the surest mistakes.
    const predictions = readFileSync(join(dir, 'predictions.csv'), 'utf8').split('\n');
    expect(predictions[0]).toBe('test_row,true_class,predicted_class,probability_great,probability_other,review');
    expect(predictions[1]).toMatch(/^1,great,\w+,[\d.]+,[\d.]+,These are the best tasting gummy fruits/);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toMatch(/<h2>The 20 most confident of \d+ mistakes on the test rows<\/h2>/);

    // The ONNX export takes the bag vector and carries the vocabulary: ONNX Runtime gives the run's own probabilities.
    const exported = specml(['export', '--run', dir]);
    expect(exported.status, exported.stderr).toBe(0);
    const session = await ort.InferenceSession.create(join(dir, 'model.onnx'));
    const encoding = JSON.parse(onnxMetadataOf(readFileSync(join(dir, 'model.onnx'))).table_encoding);
    expect(encoding.features[0].vocabulary).toEqual(table.features[0].vocabulary);
    const testTable = readCsv(join(work, 'foods-test.csv'));
    const { inputs } = encodeRows(testTable, rowIndices(testTable), parseTableEncoding(encoding, 'model.onnx'));
    const probabilities = (await session.run({ features: new ort.Tensor('float32', inputs, [testTable.rowCount, inputs.length / testTable.rowCount]) })).probabilities.data as Float32Array;
    await session.release();
    const written = predictions.slice(1, -1).map((line) => line.split(',').slice(3, 5).map(Number));
    expect(written).toHaveLength(testTable.rowCount);
    expect(Math.max(...written.map(([great], row) => Math.abs(great - probabilities[row * 2])))).toBeLessThan(6e-5);

    const rows = write('new-reviews.csv', 'review\n"Absolutely delicious, my kids love it and ask for more. Will buy again!"\n"Stale, tasteless and overpriced.<br />A waste of money, I threw it away."\n');
    const predicted = specml(['predict', '--run', dir, rows, '--json']);
    expect(predicted.status, predicted.stderr).toBe(0);
    expect(JSON.parse(predicted.stdout).map((row: { class: string }) => row.class)).toEqual(['great', 'other']);
  });

  it.skipIf(!hasSklearn)('scores within 2 points of scikit-learn\'s TfidfVectorizer + LogisticRegression on the same rows', () => {
    const file = write('foods-stop.yaml', spec('foods-stop', '{ product: ignore }', ', folds: 3').replace('validationSplit: 0.2, ', '').replace('epochs: 6', 'epochs: 20\nearlyStopping: { patience: 3 }'));
    const run = specml(['exp', file, '--runs-dir', join(work, 'runs-stop')]);
    expect(run.status, run.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(join(resolve(root, lastLine(run.stdout)), 'summary.json'), 'utf8'));
    const reference = pythonJson(`
import csv, json, sys
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
train, test = (list(csv.DictReader(open(f))) for f in sys.argv[1:3])
vectorizer = TfidfVectorizer()
model = LogisticRegression().fit(vectorizer.fit_transform([r['review'] for r in train]), [r['score'] for r in train])
print(json.dumps((model.predict(vectorizer.transform([r['review'] for r in test])) == [r['score'] for r in test]).mean()))
`, [join(work, 'foods-train.csv'), join(work, 'foods-test.csv')]) as number;
    expect(summary.final.test_accuracy).toBeGreaterThan(reference - 0.02);
  });

  it('trains on text beside categories and numbers: Tate artworks\' year from artist, title and medium', () => {
    const file = write('tate.yaml', `name: tate
seed: 1
task: regression
data: { dataset: csv, path: tate.csv, target: year, columns: { id: ignore, artist: category, title: text, medium: { type: text, maxTokens: 300, ngrams: 2 } } }
model:
  layers:
    - { units: 16, activation: relu }
    - { units: 1 }
batchSize: 64
epochs: 3
`);
    const run = specml(['exp', file, '--runs-dir', join(work, 'runs-tate')]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/column medium: text, a vocabulary of 300 tokens and runs of up to 2 words \(tfidf\)/);
    const dir = resolve(root, lastLine(run.stdout));
    const table = JSON.parse(readFileSync(join(dir, 'table.json'), 'utf8'));
    expect(table.features.map((column: { name: string; type: string }) => `${column.name}:${column.type}`)).toEqual(['artist:category', 'title:text', 'medium:text']);
    expect(table.features[2].vocabulary).toContain('on paper');
    expect(readFileSync(join(dir, 'predictions.csv'), 'utf8').split('\n')[0]).toBe('test_row,true_value,predicted_value,error,title');
  });

  it('refuses a text column without words or of numbers, and bad settings, at their place, writing nothing', () => {
    write('notes.csv', 'note,zip,label\n"",10115,a\n...,80331,b\nNA,10117,a\n');
    const cases: Array<[string, string, RegExp]> = [
      ['empty', '{ zip: ignore, note: text }', /notes\.csv:1: column "note" has no words in the training rows \(every cell is empty or punctuation\): leave it out \(data\.columns: \{ note: ignore \}\)/],
      ['numbers', '{ note: ignore, zip: text }', /notes\.csv:1: data\.columns says "zip" is text, but its cells are all numbers \(declare it number, or category for codes such as a ZIP code\)/],
      ['settings', '{ zip: ignore, note: { type: text, maxTokens: 0 } }', /settings\.yaml:2:\d+: data\.columns\.note\.maxTokens: must be >= 1, got 0/],
      ['kind', '{ zip: ignore, note: { type: txt } }', /kind\.yaml:2:\d+: data\.columns\.note\.type: must be one of number, category, text; got the string "txt" \(did you mean "text"\?\)/],
    ];
    for (const [name, columns, message] of cases) {
      const file = write(`${name}.yaml`, `name: ${name}\ndata: { dataset: csv, path: notes.csv, columns: ${columns} }\nmodel: { layers: [{ units: 2, activation: softmax }] }\n`);
      const run = specml(['exp', file, '--runs-dir', join(work, `runs-${name}`)]);
      expect(run.status, run.stdout + run.stderr).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(join(work, `runs-${name}`, name))).toBe(false);
    }
  });
});
