import { cpSync, mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCanvas } from '@napi-rs/canvas';
import { encodeIdx, loadDataset } from '@specml/data';
import { describe, expect, it } from 'vitest';
import { digitsRun, lastLine, specml, temporaryFolder } from '../test-kit/test-cli.js';

const work = temporaryFolder('predict');

const COUNT = 40;
const test = (await loadDataset({ dataset: 'mnist', testLimit: COUNT, trainLimit: 1, shuffle: true })).test;
const testPixels = test.inputs as Uint8Array;

type Variant = { name: string; side: number; ink: string; paper: string; type: 'image/png' | 'image/jpeg' };
const VARIANTS: Variant[] = [
  { name: 'mnist-png', side: 28, ink: '#ffffff', paper: '#000000', type: 'image/png' },
  { name: 'inverted', side: 28, ink: '#000000', paper: '#ffffff', type: 'image/png' },
  { name: 'large', side: 420, ink: '#111111', paper: '#f4f4f4', type: 'image/png' },
  { name: 'colour', side: 140, ink: '#1f3fbf', paper: '#ffe680', type: 'image/png' },
  { name: 'jpeg', side: 200, ink: '#202020', paper: '#ffffff', type: 'image/jpeg' },
];

/** Draws test digit `index` in ink on paper at side × side pixels, encoded as PNG or JPEG. */
function renderDigit(index: number, variant: Variant): Buffer {
  const small = createCanvas(28, 28);
  const smallContext = small.getContext('2d');
  const pixels = smallContext.createImageData(28, 28);
  const [inkColour, paperColour] = [variant.ink, variant.paper].map((hex) => [1, 3, 5].map((at) => parseInt(hex.slice(at, at + 2), 16)));
  for (let p = 0; p < 784; p++) {
    const ink = testPixels[index * 784 + p] / 255;
    for (let channel = 0; channel < 3; channel++) pixels.data[4 * p + channel] = Math.round(ink * inkColour[channel] + (1 - ink) * paperColour[channel]);
    pixels.data[4 * p + 3] = 255;
  }
  smallContext.putImageData(pixels, 0, 0);
  const canvas = createCanvas(variant.side, variant.side);
  const context = canvas.getContext('2d');
  context.imageSmoothingEnabled = true;
  context.drawImage(small, 0, 0, variant.side, variant.side);
  return variant.type === 'image/png' ? canvas.toBuffer('image/png') : canvas.toBuffer('image/jpeg', 90);
}

/** The digits run every test file shares (trained once, in test-fixtures.global.ts). */
const runDir = digitsRun();

describe('specml predict', () => {
  it.each(VARIANTS)('recognises re-encoded MNIST test digits: $name', (variant) => {
    const folder = join(work, variant.name);
    mkdirSync(folder, { recursive: true });
    const files = Array.from({ length: COUNT }, (_, index) => {
      const file = join(folder, `${index}.${variant.type === 'image/png' ? 'png' : 'jpg'}`);
      writeFileSync(file, renderDigit(index, variant));
      return file;
    });
    const result = specml(['predict', '--run', runDir, '--json', ...files]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const predictions = JSON.parse(result.stdout) as Array<{ file: string; class: string; index: number; probabilities: Record<string, number> }>;
    expect(predictions.map((prediction) => prediction.file)).toEqual(files);
    for (const prediction of predictions) {
      expect(Object.keys(prediction).sort()).toEqual(['class', 'file', 'index', 'probabilities']);
      expect(Object.keys(prediction.probabilities)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
      expect(Object.values(prediction.probabilities).reduce((sum, p) => sum + p, 0)).toBeCloseTo(1, 4);
      expect(prediction.class).toBe(String(prediction.index));
    }
    const correct = predictions.filter((prediction, index) => prediction.index === test.labels[index]).length;
    expect(correct / COUNT).toBeGreaterThanOrEqual(0.85);
  });

  it('prints the prediction and the top three probabilities per image', () => {
    const file = join(work, 'seven.png');
    writeFileSync(file, renderDigit(0, VARIANTS[1])); // the first test digit is a 7
    const result = specml(['predict', '--run', runDir, file]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^${file}: 7 \\(7 0\\.\\d{3}, \\d 0\\.\\d{3}, \\d 0\\.\\d{3}\\)\\n$`));
  });

  it('names unreadable images, still predicts the others, and exits 2', () => {
    const good = join(work, 'good.png');
    writeFileSync(good, renderDigit(1, VARIANTS[0]));
    const junk = join(work, 'junk.png');
    writeFileSync(junk, 'not an image');
    const result = specml(['predict', '--run', runDir, junk, good, join(work, 'missing.png')]);
    expect(result.status).toBe(2);
    expect(result.stdout).toMatch(new RegExp(`^${good}: \\d `));
    expect(result.stderr).toBe(
      `error: ${junk}: not a readable PNG or JPEG image (Input buffer contains unsupported image format); remove or replace the file\nerror: ${join(work, 'missing.png')}: cannot read the image: no such file\n`,
    );
  });

  it('refuses a folder without a model', () => {
    const result = specml(['predict', '--run', work, join(work, 'good.png')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(`error: --run ${work}: no model/model.json here (give the folder of a completed run, e.g. runs/baseline/<run-id>)\n`);
  });

  it('names a damaged saved model (not JSON, truncated weights) with exit 2, for predict and serve alike', () => {
    const picture = join(work, 'good.png');
    const damaged = (name: string, damage: (model: string) => void) => {
      const runDir = join(work, name);
      cpSync(digitsRun(), runDir, { recursive: true });
      damage(join(runDir, 'model'));
      return runDir;
    };
    const notJson = damaged('not-json', (model) => writeFileSync(join(model, 'model.json'), '{"modelTopology": '));
    const predicted = specml(['predict', '--run', notJson, picture]);
    expect(predicted.status).toBe(2);
    expect(predicted.stderr).toMatch(new RegExp(`^error: ${notJson}/model/model\\.json: not a readable model description: .+ \\(the saved model is damaged or not specml's: train the run again\\)\\n$`));
    const truncated = damaged('truncated', (model) => truncateSync(join(model, 'weights.bin'), 1000));
    const expected = new RegExp(`^error: ${truncated}/model/weights\\.bin: holds 1000 bytes, but model\\.json describes \\d+ \\(truncated\\?\\) \\(the saved model is damaged or not specml's: train the run again\\)\\n$`);
    const truncatedPredict = specml(['predict', '--run', truncated, picture]);
    expect(truncatedPredict.status).toBe(2);
    expect(truncatedPredict.stderr).toMatch(expected);
    const served = specml(['serve', '--run', truncated, '--port', '0']);
    expect(served.status).toBe(2);
    expect(served.stderr).toMatch(expected);
  });

  it('warns that a blank picture has no ink, and still answers', () => {
    const blank = join(work, 'blank.png');
    const canvas = createCanvas(64, 64);
    const context = canvas.getContext('2d');
    context.fillStyle = '#ffffff';
    context.fillRect(0, 0, 64, 64);
    writeFileSync(blank, canvas.toBuffer('image/png'));
    const result = specml(['predict', '--run', runDir, blank]);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe(`warning: ${blank}: no ink found (a blank or uniform picture): its prediction means nothing\n`);
    expect(result.stdout).toMatch(new RegExp(`^${blank}: \\d `));
  });

  it('sizes pictures to the model\'s own input: a run trained on 32×32 images predicts them', () => {
    const folder = join(work, 'idx-32');
    mkdirSync(folder, { recursive: true });
    const images = (count: number) => Uint8Array.from({ length: count * 32 * 32 }, (_, i) => ((i % 32) > 10 && (i % 32) < 20 ? 255 : 0));
    writeFileSync(join(folder, 'train-images-idx3-ubyte'), encodeIdx([40, 32, 32], images(40)));
    writeFileSync(join(folder, 'train-labels-idx1-ubyte'), encodeIdx([40], Uint8Array.from({ length: 40 }, (_, i) => i % 2)));
    writeFileSync(join(folder, 't10k-images-idx3-ubyte'), encodeIdx([10, 32, 32], images(10)));
    writeFileSync(join(folder, 't10k-labels-idx1-ubyte'), encodeIdx([10], Uint8Array.from({ length: 10 }, (_, i) => i % 2)));
    const spec = join(work, 'idx-32.yaml');
    writeFileSync(spec, 'name: idx32\ndata: { dataset: idx, path: idx-32 }\nmodel:\n  layers:\n    - { type: conv2d, filters: 2, kernelSize: 3 }\n    - { units: 2, activation: softmax }\nbatchSize: 8\nepochs: 1\n');
    const trained = specml(['exp', spec, '--runs-dir', join(work, 'runs-32')]);
    expect(trained.status).toBe(0);
    const picture = join(work, 'seven-for-32.png');
    writeFileSync(picture, renderDigit(0, VARIANTS[2]));
    const result = specml(['predict', '--run', lastLine(trained.stdout), '--json', picture]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(Object.keys(JSON.parse(result.stdout)[0].probabilities)).toHaveLength(2);
  });
});
