import { createCanvas, loadImage } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';
import { prepareVegaLite, renderVegaLitePng } from './charts.js';
import { confusionCsv, confusionMatrix, drawnConfusion, MAX_DRAWN_CLASSES, mostConfidentMistakes, prepareRunPictures, renderConfusion, renderCurves } from './run-pictures.js';

/** Share of pixels that are not white: a blank render (a missing font, an empty chart) scores near 0. */
async function inkShare(png: Buffer): Promise<number> {
  const image = await loadImage(png);
  const context = createCanvas(image.width, image.height).getContext('2d');
  context.drawImage(image, 0, 0);
  const { data } = context.getImageData(0, 0, image.width, image.height);
  let ink = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i] < 200 || data[i + 1] < 200 || data[i + 2] < 200) ink++;
  return ink / (data.length / 4);
}

describe('run pictures', () => {
  const labels = [0, 0, 1, 1, 2, 2];
  const predicted = [0, 1, 1, 1, 0, 2];

  it('counts the confusion matrix with true classes as rows and writes it with names', () => {
    const matrix = confusionMatrix(labels, predicted, 3);
    expect(matrix).toEqual([
      [1, 1, 0],
      [0, 2, 0],
      [1, 0, 1],
    ]);
    expect(confusionCsv(matrix, ['zero', 'one', 'two'])).toBe('true_class,zero,one,two\nzero,1,1,0\none,0,2,0\ntwo,1,0,1\n');
  });

  it('ranks mistakes by confidence', () => {
    expect(mostConfidentMistakes(labels, predicted, [0.9, 0.6, 0.9, 0.9, 0.95, 0.9], 5)).toEqual([4, 1]);
  });

  it('draws a confusion heatmap and curves that are not blank', async () => {
    const confusion = await renderConfusion(confusionMatrix(labels, predicted, 3), ['zero', 'one', 'two'], 'confusion');
    expect(await inkShare(confusion)).toBeGreaterThan(0.05);
    const curves = await renderCurves(
      [
        { epoch: 0, test_loss: 2.3, test_accuracy: 0.1 },
        { epoch: 1, train_loss: 0.5, train_accuracy: 0.85, test_loss: 0.4, test_accuracy: 0.88 },
        { epoch: 2, train_loss: 0.3, train_accuracy: 0.9, test_loss: 0.3, test_accuracy: 0.91 },
      ],
      'curves',
      'accuracy',
    );
    expect(await inkShare(curves)).toBeGreaterThan(0.01);
  });

  it('prepares a chart ahead without a reply, and a chart that cannot be compiled still fails when it is drawn, not before', async () => {
    const broken = { mark: 'line', encoding: { x: { field: 'x', type: 'quantitative' } }, data: { values: [] }, transform: [{ calculate: 'datum.x +', as: 'y' }] } as never;
    prepareVegaLite(broken);
    prepareRunPictures('prepared curves', 'accuracy', { classNames: ['zero', 'one', 'two'], title: 'prepared confusion' });
    const curves = await renderCurves([{ epoch: 0, test_loss: 2.3, test_accuracy: 0.1 }, { epoch: 1, train_loss: 0.5, train_accuracy: 0.85, test_loss: 0.4, test_accuracy: 0.88 }], 'prepared curves', 'accuracy');
    expect(await inkShare(curves)).toBeGreaterThan(0.01);
    await expect(renderVegaLitePng(broken)).rejects.toThrow(/Unexpected end of input|Expected/);
  });

  it('bounds the confusion picture for many classes: the classes with the most mistakes, the rest summed, said in the title', async () => {
    const classes = 256;
    const names = Array.from({ length: classes }, (_, k) => `class-${k}`);
    // Every image right, except class 7 taken for 9 (5 times) and class 200 for 3 (once).
    const truth = [...names.map((_, k) => k), 7, 7, 7, 7, 7, 200];
    const guess = [...names.map((_, k) => k), 9, 9, 9, 9, 9, 3];
    const matrix = confusionMatrix(truth, guess, classes);
    const drawn = drawnConfusion(matrix, names);
    expect(drawn.classNames).toHaveLength(MAX_DRAWN_CLASSES + 1);
    expect(drawn.classNames.slice(0, 4)).toEqual(['class-0', 'class-1', 'class-2', 'class-3']);
    expect(drawn.classNames).toContain('class-200');
    expect(drawn.classNames.at(-1)).toBe('other (226)');
    // Nothing is lost: the counts add up to every test image.
    expect(drawn.matrix.flat().reduce((a, b) => a + b, 0)).toBe(truth.length);
    expect(drawn.matrix[drawn.classNames.indexOf('class-7')][drawn.classNames.indexOf('class-9')]).toBe(5);
    expect(drawn.note).toBe(' (the 30 of 256 classes with the most mistakes; the others summed in "other (226)", every class in confusion.csv)');
    const png = await renderConfusion(matrix, names, 'confusion');
    const image = await loadImage(png);
    expect(image.width).toBeLessThan(3000); // drawn at 2× (22,792 px wide before the bound)
    expect(image.height).toBeLessThan(3000);
    expect(await inkShare(png)).toBeGreaterThan(0.05);
  });
});
