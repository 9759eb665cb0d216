import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadImage, createCanvas } from '@napi-rs/canvas';
import { writeTwoClassImageFolder } from '@specml/data/test-fixtures';
import { describe, expect, it } from 'vitest';
import { lastLine, learningOf, root, specml, temporaryFolder } from '../test-kit/test-cli.js';
import { hasSklearn } from '../test-kit/test-python.js';

const work = temporaryFolder('own-data');
const summaryOf = (runDir: string) => JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'));
const linesOf = (file: string) => readFileSync(file, 'utf8').trim().split('\n');


describe('your own table (dataset: csv)', () => {
  const runsDir = join(work, 'table-runs');

  it('trains the shipped iris example from a fresh clone, with predictions.csv, table.json and a report that shows them', () => {
    const result = specml(['exp', 'experiments/own-table.yaml', '--runs-dir', runsDir]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^run own-table\/\S+: csv, 120 training and 30 test rows, predicting species: 3 classes \(setosa, versicolor, virginica\)$/m);
    const runDir = resolve(root, lastLine(result.stdout));
    const summary = summaryOf(runDir);
    expect(summary.classNames).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(summary.backend).toBe('native');
    expect(summary.final.test_accuracy).toBeGreaterThanOrEqual(0.9);
    // Where training time went, per layer: 40 epochs of the 120 training rows, the dense layers' arithmetic rates.
    expect(summary.layerTimings.samples).toBe(40 * 120);
    expect(summary.layerTimings.layers.map((layer: { layer: string }) => layer.layer)).toEqual(['dense', 'dense']);
    for (const layer of summary.layerTimings.layers) for (const rate of [layer.forwardGflops, layer.backwardGflops]) expect(rate).toBeGreaterThan(0);
    const predictions = linesOf(join(runDir, 'predictions.csv'));
    expect(predictions[0]).toBe('test_row,true_class,predicted_class,probability_setosa,probability_versicolor,probability_virginica');
    expect(predictions).toHaveLength(31);
    expect(predictions.filter((line) => line.split(',')[1] === line.split(',')[2]).length / 30).toBeCloseTo(summary.final.test_accuracy, 6);
    expect(JSON.parse(readFileSync(join(runDir, 'table.json'), 'utf8')).features.map((column: { name: string }) => column.name)).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
    for (const picture of ['confusion.png', 'curves.png']) expect(readFileSync(join(runDir, picture)).length).toBeGreaterThan(1000);
    expect(existsSync(join(runDir, 'predictions.png'))).toBe(false);
    expect(readFileSync(join(runDir, 'report.html'), 'utf8')).toContain('<h2>Predictions on the first 30 test rows (all in predictions.csv)</h2>');

    // The same spec and seed learn the same, to the last digit.
    expect(learningOf(resolve(root, lastLine(specml(['exp', 'experiments/own-table.yaml', '--runs-dir', runsDir]).stdout)))).toEqual(learningOf(runDir));

    // predict: one line per row, encoded with the training statistics (an empty cell is the training mean).
    const rows = join(work, 'flowers.csv');
    writeFileSync(rows, 'species,petal_width,petal_length,sepal_width,sepal_length\n?,0.2,1.4,3.5,5.1\n?,2.3,5.2,3.0,6.7\n?,,4.5,3.0,6.0\n');
    const predicted = specml(['predict', '--run', runDir, rows]);
    expect(predicted.status).toBe(0);
    expect(predicted.stdout).toMatch(new RegExp(`^${rows}:2: setosa \\(setosa [01]\\.\\d+.*\\n${rows}:3: virginica \\(.*\\n${rows}:4: versicolor \\(`));
    expect(predicted.stderr).toBe(`warning: ${rows}: 1 missing number cell filled with the training mean\n`);
    const json = JSON.parse(specml(['predict', '--run', runDir, rows, '--json']).stdout);
    expect(json.map((prediction: { class: string }) => prediction.class)).toEqual(['setosa', 'virginica', 'versicolor']);
    // A table's model refuses an image, naming what it wants.
    const image = specml(['predict', '--run', runDir, 'experiments/data/digits/test/3/test-112.png']);
    expect(image.status).toBe(2);
    expect(image.stderr).toContain('this run\'s model reads table rows: give a CSV file with the columns sepal_length, sepal_width, petal_length, petal_width');
  });

  it('exports a table model to ONNX taking raw rows, and ONNX Runtime predicts what tfjs predicts', () => {
    const runDir = join(runsDir, 'own-table', readdirSync(join(runsDir, 'own-table')).sort()[0]);
    expect(specml(['export', '--run', runDir]).status).toBe(0);
    const rows = join(work, 'flowers.csv');
    const viaTfjs = JSON.parse(specml(['predict', '--run', runDir, rows, '--json']).stdout);
    // The README's order too: --onnx right before the rows takes them as input, not as the model.
    const viaOnnx = JSON.parse(specml(['predict', '--run', runDir, '--json', '--onnx', rows]).stdout);
    expect(viaOnnx.map((p: { class: string }) => p.class)).toEqual(viaTfjs.map((p: { class: string }) => p.class));
    viaOnnx.forEach((prediction: { probabilities: Record<string, number> }, k: number) => Object.entries(prediction.probabilities).forEach(([name, p]) => expect(p).toBeCloseTo(viaTfjs[k].probabilities[name], 5)));
    // --out: one row per input, its input columns as the file has them (in the model's order), the class and each class's probability.
    const out = join(work, 'predicted.csv');
    expect(specml(['predict', '--run', runDir, rows, '--out', out]).status).toBe(0);
    const written = readFileSync(out, 'utf8').trim().split('\n');
    expect(written[0]).toBe('input,sepal_length,sepal_width,petal_length,petal_width,predicted_class,probability_setosa,probability_versicolor,probability_virginica');
    expect(written.slice(1).map((line) => line.split(',').slice(0, 6).join(','))).toEqual(['5.1,3.5,1.4,0.2', '6.7,3.0,5.2,2.3', '6.0,3.0,4.5,'].map((cells, k) => `${viaTfjs[k].file},${cells},${viaTfjs[k].class}`));
  });

  it('refuses image layers on a table, unknown keys for the kind and a misnamed target, at their place, writing nothing', () => {
    const spec = join(work, 'bad-table.yaml');
    const iris = join(root, 'experiments/data/iris.csv');
    const imageSizeLine = `data: { dataset: csv, path: ${iris}, imageSize: 28 }`;
    const cases: Array<[string, string]> = [
      [`data: { dataset: csv, path: ${iris} }\nmodel:\n  layers:\n    - { type: conv2d, filters: 4, kernelSize: 3 }\n    - { units: 3, activation: softmax }\n`, `error: ${spec}:5:7: model.layers[0]: a conv2d layer needs an image-shaped input, but its input is a vector`],
      [`${imageSizeLine}\nmodel: { layers: [ { units: 3, activation: softmax } ] }\n`, `error: ${spec}:2:${imageSizeLine.indexOf('28') + 1}: data.imageSize: imageSize applies to dataset imageFolder, not csv (remove it, or use dataset: imageFolder)`],
      [`data: { dataset: csv, path: ${iris}, target: specis }\nmodel: { layers: [ { units: 3, activation: softmax } ] }\n`, `error: ${iris}:1: data.target: no column "specis" (did you mean "species"?)`],
    ];
    for (const [text, message] of cases) {
      writeFileSync(spec, `name: bad\n${text}`);
      const result = specml(['exp', spec, '--runs-dir', join(work, 'never')]);
      expect(result.status, text).toBe(2);
      expect(result.stderr.split('\n')[0].startsWith(message), result.stderr).toBe(true);
      expect(existsSync(join(work, 'never'))).toBe(false);
    }
  });

  it.skipIf(!hasSklearn)('reaches at least the accuracy of a logistic regression on the same split of a real table (Wisconsin breast cancer, scikit-learn)', () => {
    const folder = join(work, 'cancer');
    mkdirSync(folder);
    const yardstick = spawnSync('/usr/bin/python3', ['-c', `
import csv, random
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
d = load_breast_cancer()
rows = list(zip(d.data.tolist(), d.target.tolist()))
random.Random(1).shuffle(rows)
cut = int(len(rows) * 0.75)
for part, rs in [('train', rows[:cut]), ('test', rows[cut:])]:
    with open('${folder}/' + part + '.csv', 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow([n.replace(' ', '_') for n in d.feature_names] + ['diagnosis'])
        for x, y in rs: w.writerow([*x, d.target_names[y]])
scaler = StandardScaler().fit([x for x, _ in rows[:cut]])
model = LogisticRegression(max_iter=1000).fit(scaler.transform([x for x, _ in rows[:cut]]), [y for _, y in rows[:cut]])
print(model.score(scaler.transform([x for x, _ in rows[cut:]]), [y for _, y in rows[cut:]]))
`], { encoding: 'utf8' });
    expect(yardstick.stderr).toBe('');
    const logistic = Number(yardstick.stdout.trim());
    writeFileSync(join(folder, 'spec.yaml'), `name: cancer\nseed: 1\ndata: { dataset: csv, path: train.csv, testPath: test.csv, target: diagnosis }\nmodel:\n  layers:\n    - { units: 32, activation: relu }\n    - { type: dropout, rate: 0.2 }\n    - { units: 2, activation: softmax }\noptimizer: { name: adam, learningRate: 0.003 }\nbatchSize: 16\nepochs: 30\n`);
    const result = specml(['exp', join(folder, 'spec.yaml'), '--runs-dir', join(folder, 'runs')]);
    expect(result.status, result.stderr).toBe(0);
    const ours = summaryOf(resolve(root, lastLine(result.stdout))).final.test_accuracy;
    console.log(`breast cancer, 143 test rows: specml MLP ${ours.toFixed(4)}, scikit-learn logistic regression ${logistic.toFixed(4)}`);
    expect(logistic).toBeGreaterThan(0.9);
    expect(ours).toBeGreaterThanOrEqual(logistic);
  });
});

describe('your own images (dataset: imageFolder)', () => {
  const photos = join(work, 'photos');
  const runsDir = join(work, 'image-runs');
  const spec = join(work, 'photos.yaml');
  const SPEC = `name: photos\nseed: 3\ndata: { dataset: imageFolder, path: photos/train, testPath: photos/test }\nmodel:\n  layers:\n    - { type: conv2d, filters: 4, kernelSize: 3, activation: relu }\n    - { type: maxPooling2d, poolSize: 2 }\n    - { units: 2, activation: softmax }\noptimizer: { name: adam, learningRate: 0.01 }\nbatchSize: 8\nepochs: 6\n`;

  it('trains colour and grey PNG and JPEG files of mixed sizes natively, and draws the test images in colour', async () => {
    await writeTwoClassImageFolder(photos, 'train', 24);
    await writeTwoClassImageFolder(photos, 'test', 6);
    writeFileSync(spec, SPEC);
    const result = specml(['exp', spec, '--runs-dir', runsDir]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/: imageFolder, 48 training and 12 test images, 2 classes \(left, right\)$/m);
    const runDir = resolve(root, lastLine(result.stdout));
    const summary = summaryOf(runDir);
    expect(summary.backend).toBe('native');
    expect(summary.classNames).toEqual(['left', 'right']);
    expect(summary.final.test_accuracy).toBe(1);
    expect(JSON.parse(readFileSync(join(runDir, 'model/model.json'), 'utf8')).modelTopology.config.layers[0].config.batch_input_shape).toEqual([null, 12, 12, 3]);
    // predictions.png shows the images as they are: coloured pixels, not grey.
    const picture = await loadImage(readFileSync(join(runDir, 'predictions.png')));
    const canvas = createCanvas(picture.width, picture.height);
    canvas.getContext('2d').drawImage(picture, 0, 0);
    const pixels = canvas.getContext('2d').getImageData(0, 0, picture.width, picture.height).data;
    let coloured = 0;
    for (let i = 0; i < pixels.length; i += 4) if (Math.abs(pixels[i] - pixels[i + 2]) > 40) coloured++;
    expect(coloured).toBeGreaterThan(1000);
    expect(existsSync(join(runDir, 'misclassified.png'))).toBe(true);

    // predict reads a JPEG as training did (decoded, resized to 12×12, RGB).
    const predicted = specml(['predict', '--run', runDir, join(photos, 'test/right/001.jpg'), join(photos, 'test/left/002.png')]);
    expect(predicted.status, predicted.stderr).toBe(0);
    expect(predicted.stdout).toMatch(/001\.jpg: right \(right .*\n.*002\.png: left \(left /);
  });

  it('sweeps data keys like any other (imageSize), and validate describes what it found', () => {
    writeFileSync(spec, `${SPEC.replace('epochs: 6', 'epochs: 1')}sweep:\n  data.imageSize: [8, 16]\n`);
    const result = specml(['exp', spec, '--runs-dir', join(work, 'sweep-runs')]);
    expect(result.status, result.stderr).toBe(0);
    const trials = readdirSync(join(work, 'sweep-runs', 'photos')).filter((name) => /-t\d+$/.test(name)).sort();
    expect(trials).toHaveLength(2);
    const shapes = trials.map((trial) => JSON.parse(readFileSync(join(work, 'sweep-runs', 'photos', trial, 'model/model.json'), 'utf8')).modelTopology.config.layers[0].config.batch_input_shape);
    expect(shapes).toEqual([[null, 8, 8, 3], [null, 16, 16, 3]]);

    writeFileSync(spec, SPEC);
    const validated = specml(['validate', spec, '--set', 'data.channels=1']);
    expect(validated.status).toBe(0);
    expect(validated.stdout).toContain('  input: images of 12×12×1 (height×width×channels)\n  60 images as 12×12×1, 20 of them resized\n  class  train   test\n  left      24      6\n  right     24      6\n');
  });

  it('refuses an empty class folder and a corrupt image with one sentence naming it, writing nothing', () => {
    mkdirSync(join(photos, 'train/empty'));
    writeFileSync(spec, SPEC);
    const empty = specml(['exp', spec, '--runs-dir', join(work, 'never')]);
    expect(empty.status).toBe(2);
    expect(empty.stderr).toBe(`error: ${join(photos, 'train/empty')}: the class folder holds no PNG or JPEG image (remove it or add images)\n`);
    rmSync(join(photos, 'train/empty'), { recursive: true });
    writeFileSync(join(photos, 'train/left/broken.png'), 'not a png');
    const corrupt = specml(['exp', spec, '--runs-dir', join(work, 'never')]);
    expect(corrupt.status).toBe(2);
    expect(corrupt.stderr).toMatch(new RegExp(`^error: ${join(photos, 'train/left/broken.png')}: not a readable PNG or JPEG image \\(.*\\); remove or replace the file\\n$`));
    // A batch larger than the listed images is refused before any image is decoded (the broken one is not reached).
    const files = readdirSync(join(photos, 'train/left')).length + readdirSync(join(photos, 'train/right')).length;
    const tooBig = specml(['exp', spec, '--runs-dir', join(work, 'never'), '--set', 'batchSize=5000']);
    expect(tooBig.status).toBe(2);
    expect(tooBig.stderr).toBe(`error: --set batchSize=5000: batchSize: 5000 is larger than the ${files} training images (use at most ${files})\n`);
    expect(existsSync(join(work, 'never'))).toBe(false);
    rmSync(join(photos, 'train/left/broken.png'));
  });
});
