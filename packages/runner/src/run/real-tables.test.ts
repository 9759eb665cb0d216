import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { lastLine, root, specml, temporaryFolder } from '../test-kit/test-cli.js';
import { checkOnnx, hasOnnxChecker, hasRData, hasSklearn, pythonJson, runR } from '../test-kit/test-python.js';

// Public tables as people export them: R's write.csv of modeldata's credit_data (4,454 loan applications,
// `NA` in six columns, quoted factors, the label in the first column), trained without editing the file.

const work = temporaryFolder('real-tables');
const trainFile = join(work, 'credit-train.csv');
const testFile = join(work, 'credit-test.csv');
const spec = (extra = '') => `name: credit
data: { dataset: csv, path: credit-train.csv, testPath: credit-test.csv, target: Status${extra} }
model:
  layers:
    - { units: 16, activation: relu }
    - { units: 2, activation: softmax }
batchSize: 64
epochs: 3
`;

describe.skipIf(!hasRData)('real tables exported by R (modeldata credit_data)', () => {
  beforeAll(() => {
    writeFileSync(join(work, 'credit-onnx.yaml'), spec(', impute: { numbers: median, categories: mostFrequent }, missingIndicator: true').replace('name: credit', 'name: credit-onnx'));
    runR(`library(modeldata); data(credit_data); write.csv(credit_data[1:3500, ], "${trainFile}", row.names = FALSE); write.csv(credit_data[3501:4454, ], "${testFile}", row.names = FALSE); write.csv(credit_data[, c("Status", "Seniority", "Home")], "${join(work, 'last-is-home.csv')}", row.names = FALSE)`);
  });

  it('names the target and its classes first, keeps NA columns numeric with their missing counts, and trains', () => {
    const file = join(work, 'credit.yaml');
    writeFileSync(file, spec());
    const validated = specml(['validate', file]);
    expect(validated.status, validated.stderr).toBe(0);
    expect(validated.stdout).toContain('target Status (data.target): 2 classes (bad, good)');
    expect(validated.stdout).toMatch(/column Income: number, mean [\d.]+, standard deviation [\d.]+, \d+ missing/);
    expect(validated.stdout).toMatch(/column Home: category, 6 values \(ignore, other, owner, parents, priv, rent\), 6 missing/);
    const run = specml(['exp', file, '--runs-dir', join(work, 'runs')]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^run credit\/\S+: csv, 3500 training and 954 test rows, predicting Status: 2 classes \(bad, good\)$/m);
    const table = JSON.parse(readFileSync(join(resolve(root, lastLine(run.stdout)), 'table.json'), 'utf8'));
    const numbers = table.features.filter((column: { type: string }) => column.type === 'number');
    expect(numbers.map((column: { name: string }) => column.name)).toEqual(['Seniority', 'Time', 'Age', 'Expenses', 'Income', 'Assets', 'Debt', 'Amount', 'Price']);
    if (!hasSklearn) return;
    // The fill value of each number column is scikit-learn's SimpleImputer's on the same training rows.
    const imputed = pythonJson(`
import csv, json, sys, numpy as np
from sklearn.impute import SimpleImputer
rows = list(csv.DictReader(open(sys.argv[1])))
names = json.loads(sys.argv[2])
X = np.array([[np.nan if row[name] == 'NA' else float(row[name]) for name in names] for row in rows])
print(json.dumps(SimpleImputer(strategy='mean').fit(X).statistics_.tolist()))
`, [trainFile, JSON.stringify(numbers.map((column: { name: string }) => column.name))]) as number[];
    numbers.forEach((column: { mean: number }, index: number) => expect(column.mean).toBeCloseTo(imputed[index], 9));
  });

  it('fills missing cells by the median or the most frequent category, with indicator inputs, as scikit-learn\'s SimpleImputer', () => {
    const file = join(work, 'credit-impute.yaml');
    writeFileSync(file, spec(', impute: { numbers: median, categories: mostFrequent }, missingIndicator: true').replace('name: credit', 'name: credit-impute'));
    const run = specml(['exp', file, '--runs-dir', join(work, 'runs-impute')]);
    expect(run.status, run.stderr).toBe(0);
    const table = JSON.parse(readFileSync(join(resolve(root, lastLine(run.stdout)), 'table.json'), 'utf8'));
    const byName = Object.fromEntries(table.features.map((column: { name: string }) => [column.name, column]));
    // Indicators only for the columns with missing training cells (SimpleImputer's add_indicator).
    expect(table.features.filter((column: { indicator?: boolean }) => column.indicator).map((column: { name: string }) => column.name)).toEqual(['Home', 'Marital', 'Job', 'Income', 'Assets', 'Debt']);
    if (!hasSklearn) return;
    const reference = pythonJson(`
import csv, json, sys, numpy as np
from sklearn.impute import SimpleImputer
rows = list(csv.DictReader(open(sys.argv[1])))
numbers, words = ['Income', 'Assets', 'Debt', 'Seniority'], ['Home', 'Marital', 'Job']
X = np.array([[np.nan if r[n] == 'NA' else float(r[n]) for n in numbers] for r in rows])
W = np.array([[r[n] for n in words] for r in rows], dtype=object)
print(json.dumps({'median': SimpleImputer(strategy='median').fit(X).statistics_.tolist(), 'frequent': SimpleImputer(missing_values='NA', strategy='most_frequent').fit(W).statistics_.tolist()}))
`, [trainFile]) as { median: number[]; frequent: string[] };
    expect(['Income', 'Assets', 'Debt', 'Seniority'].map((name) => byName[name].fill)).toEqual(reference.median);
    expect(['Home', 'Marital', 'Job'].map((name) => byName[name].fill)).toEqual(reference.frequent);
  });

  it('exports an ONNX model that takes raw rows (imputation, scaling, one-hot and indicators in the graph) and predicts what predict predicts', async () => {
    const runDir = resolve(root, lastLine(specml(['exp', join(work, 'credit-onnx.yaml'), '--runs-dir', join(work, 'runs-onnx')]).stdout));
    const exported = specml(['export', '--run', runDir]);
    expect(exported.status, exported.stderr).toBe(0);
    expect(exported.stdout).toMatch(/input the table's columns as they are \(one input per column, \[batch, 1\]: Seniority \(float32, NaN where missing\), Home \(string, trimmed, empty where missing\), .*\), output probabilities \[batch, classes\]\n$/);
    const file = join(runDir, 'model.onnx');
    if (hasOnnxChecker) expect(checkOnnx(file)).toContain('table_encoding');
    // Each column of the raw test file as R wrote it, fed as the metadata says: NA is NaN or ''.
    const [header, ...rows] = parse(readFileSync(testFile)) as string[][];
    const session = await ort.InferenceSession.create(file);
    const feeds = Object.fromEntries(session.inputNames.map((name) => {
      const cells = rows.map((row) => row[header.indexOf(name)]);
      const numeric = (session.inputMetadata.find((meta) => meta.name === name) as { type?: string }).type === 'float32';
      return [name, numeric ? new ort.Tensor('float32', Float32Array.from(cells, (cell) => (cell === 'NA' ? Number.NaN : Number(cell))), [rows.length, 1]) : new ort.Tensor('string', cells.map((cell) => (cell === 'NA' ? '' : cell)), [rows.length, 1])];
    }));
    const onnx = (await session.run(feeds)).probabilities.data as Float32Array;
    await session.release();
    const own = JSON.parse(specml(['predict', '--run', runDir, testFile, '--json']).stdout) as Array<{ probabilities: Record<string, number> }>;
    expect(own).toHaveLength(954);
    expect(Math.max(...own.flatMap((prediction, row) => ['bad', 'good'].map((name, k) => Math.abs(prediction.probabilities[name] - onnx[row * 2 + k]))))).toBeLessThan(1e-5);
    // predict and evaluate through the export feed it the same way.
    const viaOnnx = JSON.parse(specml(['predict', '--run', runDir, testFile, '--json', '--onnx']).stdout) as typeof own;
    expect(Math.max(...viaOnnx.map((prediction, row) => Math.abs(prediction.probabilities.good - own[row].probabilities.good)))).toBeLessThan(1e-5);
    const scored = (...onnxFlag: string[]) => specml(['evaluate', '--run', runDir, testFile, ...onnxFlag]).stdout.split('\n')[0].replace(/ \(ONNX Runtime, .*\)/, '');
    expect(scored('--onnx')).toBe(scored());
  });

  it('evaluate scores the saved model on a labelled file as scikit-learn\'s metrics do, in a folder of its own', () => {
    const file = join(work, 'credit.yaml');
    const run = specml(['exp', file, '--runs-dir', join(work, 'runs-evaluate')]);
    expect(run.status, run.stderr).toBe(0);
    const runDir = resolve(root, lastLine(run.stdout));
    const evaluated = specml(['evaluate', '--run', runDir, testFile]);
    expect(evaluated.status, evaluated.stderr).toBe(0);
    expect(evaluated.stdout).toMatch(/^scored 954 rows of \S+credit-test\.csv: accuracy 0\.\d{4}, macro F1 0\.\d{4}, ROC AUC 0\.\d{4}\n\S+evaluate-\S+\n$/);
    const folder = resolve(root, lastLine(evaluated.stdout));
    const metrics = JSON.parse(readFileSync(join(folder, 'metrics.json'), 'utf8'));
    // The same rows through predict --out, then scikit-learn's metrics on its classes and probabilities.
    const out = join(work, 'credit-predicted.csv');
    expect(specml(['predict', '--run', runDir, testFile, '--out', out]).status).toBe(0);
    if (!hasSklearn) return;
    const reference = pythonJson(`
import csv, json, sys
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
truth = [row['Status'] for row in csv.DictReader(open(sys.argv[1]))]
rows = list(csv.DictReader(open(sys.argv[2])))
predicted = [row['predicted_class'] for row in rows]
print(json.dumps({'accuracy': accuracy_score(truth, predicted), 'f1': f1_score(truth, predicted, average='macro'), 'auc': roc_auc_score([t == 'good' for t in truth], [float(row['probability_good']) for row in rows])}))
`, [testFile, out]) as Record<string, number>;
    expect(metrics.accuracy).toBeCloseTo(reference.accuracy, 12);
    expect(metrics.f1).toBeCloseTo(reference.f1, 12);
    expect(metrics.auc).toBeCloseTo(reference.auc, 6);
    expect(readFileSync(join(folder, 'confusion.csv'), 'utf8').split('\n')[0]).toBe('true_class,bad,good');
  });

  it('says which column is the target when the last layer does not fit it, and which column would', () => {
    const file = join(work, 'home.yaml');
    writeFileSync(file, spec().replace(/data: .*\n/, 'data: { dataset: csv, path: last-is-home.csv }\n'));
    const result = specml(['validate', file]);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(`warning: ${join(work, 'last-is-home.csv')}: 6 rows left out: the target column "Home" is missing there (first at line 31)\nerror: ${file}:6:16: model.layers[1].units: the last layer has 2 units, but the target is "Home" (the last column), with 6 classes (set units: 6; or "Status" has 2 classes: set data.target: Status)\n`);
  });

  it('refuses bad format keys at their line, writing nothing', () => {
    const file = join(work, 'bad.yaml');
    writeFileSync(file, spec(', missing: [NA, 3], delimiter: ":"'));
    const result = specml(['exp', file, '--runs-dir', join(work, 'runs-bad')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^error: .*bad\.yaml:2:\d+: data\.missing\[1\]: expected a string, got 3/m);
    expect(result.stderr).toMatch(/data\.delimiter: .*(",", ";", "\\t", "\|"|one of)/);
  });
});
