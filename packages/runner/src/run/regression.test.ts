import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lastLine, learningOf, root, specml, temporaryFolder } from '../test-kit/test-cli.js';
import { hasSklearn } from '../test-kit/test-python.js';

const work = temporaryFolder('regression');
const summaryOf = (runDir: string) => JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'));
const linesOf = (file: string) => readFileSync(file, 'utf8').trim().split('\n');
const runDirOf = (stdout: string) => resolve(root, lastLine(stdout));


describe('task: regression', () => {
  const runsDir = join(work, 'runs');

  it('trains the shipped diabetes example: regression columns in target units, pictures, predictions largest errors first', () => {
    const result = specml(['exp', 'experiments/own-regression.yaml', '--runs-dir', runsDir]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^run own-regression\/\S+: csv, 354 training and 88 test rows, predicting progression \(mean [\d.]+, standard deviation [\d.]+\)$/m);
    expect(result.stdout).toMatch(/^initial test rmse: [\d.]+, r2 -?[\d.]+ \(test loss [\d.]+\)$/m);
    const runDir = runDirOf(result.stdout);
    const metrics = linesOf(join(runDir, 'metrics.csv'));
    expect(metrics[0]).toBe('epoch,train_loss,test_loss,test_mae,test_rmse,test_r2,epoch_seconds,samples_per_second');
    expect(metrics).toHaveLength(42); // the header, the untrained row 0 and 40 epochs
    const last = metrics.at(-1)!.split(',').map(Number);
    // The loss is the mean squared error in the target's units: RMSE².
    expect(last[2]).toBeCloseTo(last[4] ** 2, 0);
    expect(last[5]).toBeGreaterThan(0.3);
    const summary = summaryOf(runDir);
    expect(summary).toMatchObject({ task: 'regression', classNames: [], backend: 'native' });
    expect(Object.keys(summary.final).sort()).toEqual(['test_loss', 'test_mae', 'test_r2', 'test_rmse']);
    // Without validation data there is no best epoch (choosing one on the test set would flatter it), only the final one.
    expect(summary.best).toBeNull();
    // The model beats always predicting the training mean, on the same test rows.
    expect(summary.baseline.description).toMatch(/^always the training mean of progression \(\d+(\.\d+)?\)$/);
    expect(summary.baseline.test_rmse).toBeGreaterThan(last[4] * 1.1);
    for (const picture of ['curves.png', 'predicted-vs-true.png', 'residuals.png']) expect(readFileSync(join(runDir, picture)).length, picture).toBeGreaterThan(5000);
    for (const absent of ['confusion.png', 'confusion.csv', 'predictions.png']) expect(existsSync(join(runDir, absent)), absent).toBe(false);
    const predictions = linesOf(join(runDir, 'predictions.csv'));
    expect(predictions[0]).toBe('test_row,true_value,predicted_value,error');
    const errors = predictions.slice(1).map((line) => Math.abs(Number(line.split(',')[3])));
    expect(errors).toEqual([...errors].sort((a, b) => b - a));
    expect(readFileSync(join(runDir, 'report.html'), 'utf8')).toContain('<h2>The 50 test rows with the largest errors (all in predictions.csv)</h2>');

    // A validation split adds its columns, in the target's units too; the same spec and seed learn the same.
    const withValidation = specml(['exp', 'experiments/own-regression.yaml', '--runs-dir', runsDir, '--set', 'data.validationSplit=0.2', '--set', 'epochs=3', '--set', 'optimizer.name=rmsprop']);
    expect(withValidation.status, withValidation.stderr).toBe(0);
    const validated = linesOf(join(runDirOf(withValidation.stdout), 'metrics.csv'));
    expect(validated[0]).toBe('epoch,train_loss,test_loss,test_mae,test_rmse,test_r2,epoch_seconds,samples_per_second,validation_loss,validation_mae,validation_rmse,validation_r2');
    expect(validated.at(-1)!.split(',').slice(8).every((cell) => Number.isFinite(Number(cell)) && cell !== '')).toBe(true);
    const again = specml(['exp', 'experiments/own-regression.yaml', '--runs-dir', runsDir, '--set', 'data.validationSplit=0.2', '--set', 'epochs=3', '--set', 'optimizer.name=rmsprop']);
    expect(learningOf(runDirOf(again.stdout))).toEqual(learningOf(runDirOf(withValidation.stdout)));

    // Huber's loss is reported in the target's units too: Huber with its threshold at one standard deviation,
    // recomputed here from the final predictions.
    const huber = specml(['exp', 'experiments/own-regression.yaml', '--runs-dir', runsDir, '--set', 'loss=huber', '--set', 'epochs=3']);
    expect(huber.status, huber.stderr).toBe(0);
    const std = Number(/standard deviation ([\d.]+)\)/.exec(huber.stdout)![1]);
    const huberDir = runDirOf(huber.stdout);
    const residuals = linesOf(join(huberDir, 'predictions.csv')).slice(1).map((line) => Number(line.split(',')[3]));
    const expected = residuals.reduce((sum, r) => sum + (Math.abs(r) <= std ? 0.5 * r * r : std * (Math.abs(r) - 0.5 * std)), 0) / residuals.length;
    const reported = Number(linesOf(join(huberDir, 'metrics.csv')).at(-1)!.split(',')[2]);
    expect(Math.abs(reported - expected) / expected).toBeLessThan(0.01);
  });

  it('trains alike on the tfjs backends (the fallback where the native engine is not built): the same metrics to float32 rounding', () => {
    const metricsOn = (backend: string) => {
      const run = specml(['exp', 'experiments/own-regression.yaml', '--runs-dir', runsDir, '--set', 'epochs=3', '--backend', backend]);
      expect(run.status, run.stderr).toBe(0);
      expect(summaryOf(runDirOf(run.stdout)).backend).toBe(backend);
      return linesOf(join(runDirOf(run.stdout), 'metrics.csv')).slice(1).map((line) => line.split(',').slice(1, 6).map(Number));
    };
    const native = metricsOn('native');
    for (const backend of ['wasm', 'cpu']) {
      metricsOn(backend).forEach((row, epoch) => row.forEach((value, column) => {
        if (epoch === 0 && column === 0) return; // row 0 has no train_loss
        expect(Math.abs(value - native[epoch][column]) / Math.abs(native[epoch][column]), `${backend} epoch ${epoch} column ${column + 1}`).toBeLessThan(1e-4);
      }));
    }
  });

  it('predicts numbers in the target\'s units with the saved model, the same through ONNX', () => {
    const folder = join(work, 'split');
    mkdirSync(folder, { recursive: true });
    const [header, ...rows] = linesOf(join(root, 'experiments/data/diabetes.csv'));
    writeFileSync(join(folder, 'train.csv'), [header, ...rows.slice(0, 350)].join('\n'));
    writeFileSync(join(folder, 'test.csv'), [header, ...rows.slice(350)].join('\n'));
    writeFileSync(join(folder, 'spec.yaml'), 'name: diabetes\ntask: regression\ndata: { dataset: csv, path: train.csv, testPath: test.csv, target: progression }\nmodel:\n  layers:\n    - { units: 16, activation: relu }\n    - { units: 1, activation: linear }\noptimizer: { name: adam, learningRate: 0.003 }\nbatchSize: 16\nepochs: 10\n');
    const trained = specml(['exp', join(folder, 'spec.yaml'), '--runs-dir', runsDir]);
    expect(trained.status, trained.stderr).toBe(0);
    const runDir = runDirOf(trained.stdout);
    // predict on the test file gives what training predicted for those rows (predictions.csv, by test row).
    const predicted = JSON.parse(specml(['predict', '--run', runDir, join(folder, 'test.csv'), '--json']).stdout) as Array<{ file: string; value: number }>;
    expect(predicted).toHaveLength(rows.length - 350);
    const byRow = new Map(linesOf(join(runDir, 'predictions.csv')).slice(1).map((line) => line.split(',').map(Number)).map(([row, , value]) => [row, value]));
    predicted.forEach((prediction, index) => {
      expect(prediction.file).toBe(`${join(folder, 'test.csv')}:${index + 2}`);
      expect(prediction.value).toBeCloseTo(byRow.get(index + 1)!, 2);
    });
    expect(specml(['predict', '--run', runDir, join(folder, 'test.csv')]).stdout.split('\n')[0]).toMatch(new RegExp(`^${join(folder, 'test.csv')}:2: \\d+(\\.\\d+)?$`));
    const exported = specml(['export', '--run', runDir]);
    expect(exported.stdout).toMatch(/input the table's columns as they are \(one input per column, \[batch, 1\]: age \(float32, NaN where missing\), .*\), output prediction \[batch, 1\], the predicted number in the target's units\n$/);
    const viaOnnx = JSON.parse(specml(['predict', '--run', runDir, join(folder, 'test.csv'), '--json', '--onnx']).stdout) as Array<{ value: number }>;
    viaOnnx.forEach((prediction, index) => expect(prediction.value).toBeCloseTo(predicted[index].value, 3));
  });

  it('refuses, at their place and writing nothing: a softmax end, regression on images, a loss for a classifier, a word in the target', () => {
    const spec = join(work, 'bad.yaml');
    const diabetes = join(root, 'experiments/data/diabetes.csv');
    const words = join(work, 'words.csv');
    writeFileSync(words, 'x,y\n1,2.5\n2,3.5\n3,lots\n4,5\n5,6\n');
    const cases: Array<[string, string]> = [
      [`task: regression\ndata: { dataset: csv, path: ${diabetes}, target: progression }\nmodel:\n  layers:\n    - { units: 8, activation: relu }\n    - { units: 3, activation: softmax }\n`, `error: ${spec}:7:16: model.layers[1].units: a regression's last layer must be dense with units: 1 and activation: linear, got a dense layer with 3 units and softmax (end with { units: 1, activation: linear })`],
      ['task: regression\nmodel:\n  layers:\n    - { units: 1, activation: linear }\n', `error: ${spec}:2:7: task: regression predicts a number from a column of a table; dataset mnist has classes only (use dataset: csv with a numeric target)`],
      ['loss: huber\nmodel:\n  layers:\n    - { units: 10, activation: softmax }\n', `error: ${spec}:2:7: loss: huber is a regression loss; a classifier is trained on softmax cross-entropy (remove loss, or set task: regression)`],
      [`task: regression\ndata: { dataset: csv, path: ${words} }\nmodel:\n  layers:\n    - { units: 1, activation: linear }\n`, `error: ${words}:4: the target column "y" holds "lots", not a number (task: regression predicts a number; for classes, leave task out; if it means "missing", add it to data.missing)`],
    ];
    for (const [text, message] of cases) {
      writeFileSync(spec, `name: bad\n${text}`);
      const result = specml(['exp', spec, '--runs-dir', join(work, 'never')]);
      expect(result.status, text).toBe(2);
      expect(result.stderr.split('\n')[0]).toBe(message);
      expect(existsSync(join(work, 'never'))).toBe(false);
    }
    // A classifier on a numeric target of many values: the error suggests a regression.
    writeFileSync(spec, `name: bad\ndata: { dataset: csv, path: ${diabetes}, target: progression }\nmodel:\n  layers:\n    - { units: 3, activation: softmax }\n`);
    expect(specml(['exp', spec, '--runs-dir', join(work, 'never')]).stderr).toContain('the target is "progression" (data.target), with 214 classes (set units: 214; or, to predict "progression" as a number, set task: regression and end with { units: 1, activation: linear })');
  });

  it('sweeps on test_rmse with Bayesian search and early stopping, minimising by default; compare ranks by RMSE', () => {
    const spec = join(work, 'sweep.yaml');
    writeFileSync(spec, `name: sweep\ntask: regression\ndata: { dataset: csv, path: ${join(root, 'experiments/data/diabetes.csv')}, target: progression }\nmodel:\n  layers:\n    - { units: 8, activation: relu }\n    - { units: 1, activation: linear }\nbatchSize: 16\nepochs: 4\nsweep:\n  method: bayes\n  trials: 6\n  metric: { name: test_rmse }\n  parameters:\n    optimizer.learningRate: { min: 0.00001, max: 0.03, distribution: logUniform }\n  earlyStop: { type: asha, minEpochs: 1, eta: 2 }\n`);
    const sweepRuns = join(work, 'sweep-runs');
    const result = specml(['exp', spec, '--runs-dir', sweepRuns]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/choosing on test_rmse \(minimize\)/);
    const csv = /^sweep summary: (\S+)$/m.exec(result.stdout)![1];
    const [header, ...rows] = linesOf(csv);
    expect(header).toBe('trial,optimizer.learningRate,status,epochs,metric_test_rmse,final_test_rmse,best_epoch_test_rmse,final_test_r2,duration_seconds,run_dir');
    const rmseColumn = header.split(',').indexOf('metric_test_rmse');
    const finished = rows.map((row) => row.split(',')).filter((cells) => cells[2] === 'completed' || cells[2] === 'stopped');
    const lowest = Math.min(...finished.map((cells) => Number(cells[rmseColumn])));
    const best = /^best: trial (\d+), test_rmse ([\d.]+)/m.exec(result.stdout)!;
    expect(Number(best[2])).toBeCloseTo(lowest, 3);
    // compare ranks the trials by final test RMSE, lowest first, and names its columns after it.
    const compared = specml(['compare', join(sweepRuns, 'sweep'), '--runs-dir', sweepRuns]);
    expect(compared.status, compared.stderr).toBe(0);
    const comparison = linesOf(compared.stdout.trim().split('\n').at(-2)!);
    expect(comparison[0]).toMatch(/,final_validation_rmse,final_test_rmse,best_epoch_test_rmse,final_test_r2,duration_seconds,run_dir$/);
    const ranked = comparison.slice(1).map((line) => Number(line.split(',').at(-5)));
    expect(ranked).toEqual([...ranked].sort((a, b) => a - b));
  });

  it.skipIf(!hasSklearn)('matches ordinary least squares on a real table, and beats it with a wider MLP where the structure is non-linear (scikit-learn as the yardstick)', () => {
    const folder = join(work, 'yardstick');
    mkdirSync(folder, { recursive: true });
    const python = spawnSync('/usr/bin/python3', ['-c', `
import csv, random, json
import numpy as np
from sklearn.linear_model import LinearRegression
from sklearn.preprocessing import StandardScaler
from sklearn.datasets import make_friedman1
def write(name, header, rows):
    with open('${folder}/' + name, 'w', newline='') as f:
        w = csv.writer(f); w.writerow(header); w.writerows(rows)
def ols(X, y, cut):
    s = StandardScaler().fit(X[:cut])
    return LinearRegression().fit(s.transform(X[:cut]), y[:cut]).score(s.transform(X[cut:]), y[cut:])
rows = list(csv.reader(open('${join(root, 'experiments/data/diabetes.csv')}')))
header, body = rows[0], rows[1:]
random.Random(7).shuffle(body)
cut = int(len(body) * 0.8)
write('diabetes-train.csv', header, body[:cut]); write('diabetes-test.csv', header, body[cut:])
diabetes = ols(np.array([[float(v) for v in r[:-1]] for r in body]), np.array([float(r[-1]) for r in body]), cut)
X, y = make_friedman1(n_samples=1000, noise=0.5, random_state=3)
write('friedman-train.csv', [f'x{i}' for i in range(10)] + ['y'], [[*a, b] for a, b in zip(X[:800], y[:800])])
write('friedman-test.csv', [f'x{i}' for i in range(10)] + ['y'], [[*a, b] for a, b in zip(X[800:], y[800:])])
print(json.dumps({'diabetes': diabetes, 'friedman': ols(X, y, 800), 'train': cut}))
`], { encoding: 'utf8' });
    expect(python.stderr).toBe('');
    const yardstick = JSON.parse(python.stdout);
    const r2Of = (name: string, layers: string, extra: string) => {
      writeFileSync(join(folder, `${name}.yaml`), `name: ${name}\ntask: regression\ndata: { dataset: csv, path: ${name}-train.csv, testPath: ${name}-test.csv }\nmodel:\n  layers:\n${layers}${extra}`);
      const result = specml(['exp', join(folder, `${name}.yaml`), '--runs-dir', join(folder, 'runs')]);
      expect(result.status, result.stderr).toBe(0);
      return summaryOf(runDirOf(result.stdout)).final.test_r2 as number;
    };
    // The diabetes table is close to linear: a linear model trained to convergence (full batch) is least squares.
    const linear = r2Of('diabetes', '    - { units: 1, activation: linear }\n', `optimizer: { name: adam, learningRate: 0.1 }\nbatchSize: ${yardstick.train}\nepochs: 1000\n`);
    const mlp = r2Of('friedman', '    - { units: 64, activation: relu }\n    - { units: 64, activation: relu }\n    - { units: 1, activation: linear }\n', 'optimizer: { name: adam, learningRate: 0.003 }\nbatchSize: 16\nepochs: 60\n');
    console.log(`R² on the same splits: diabetes, specml linear ${linear.toFixed(4)} / scikit-learn LinearRegression ${yardstick.diabetes.toFixed(4)}; Friedman #1, specml MLP ${mlp.toFixed(4)} / LinearRegression ${yardstick.friedman.toFixed(4)}`);
    expect(linear).toBeGreaterThanOrEqual(yardstick.diabetes - 0.0005);
    expect(mlp).toBeGreaterThan(yardstick.friedman + 0.1);
  });
});
