import { stringify } from 'csv-stringify/sync';
import type { TopLevelSpec } from 'vega-lite';
import { renderVegaLitePng } from './charts.js';
import { FONT_FAMILY } from './fonts.js';
import type { MetricsRecord } from './run-folders.js';

/** counts[true][predicted] */
export type ConfusionMatrix = number[][];

export function confusionMatrix(labels: ArrayLike<number>, predicted: ArrayLike<number>, classCount: number): ConfusionMatrix {
  const counts = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0));
  for (let i = 0; i < labels.length; i++) counts[labels[i]][predicted[i]]++;
  return counts;
}

/** Header row `true_class,<class names…>`, then one row per true class: its name, then counts per predicted class. */
export function confusionCsv(matrix: ConfusionMatrix, classNames: readonly string[]): string {
  return stringify([['true_class', ...classNames], ...matrix.map((row, label) => [classNames[label], ...row])]);
}

/** A heatmap of the confusion matrix with the counts written in the cells and the class names on the axes. */
export function renderConfusion(matrix: ConfusionMatrix, classNames: readonly string[], title: string): Promise<Buffer> {
  const values = matrix.flatMap((row, label) => row.map((count, guess) => ({ actual: classNames[label], predicted: classNames[guess], count, diagonal: label === guess })));
  const order = [...classNames];
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 44 * classNames.length,
    height: 44 * classNames.length,
    data: { values },
    encoding: {
      x: { field: 'predicted', type: 'ordinal', sort: order, title: 'predicted class', axis: { labelAngle: classNames.some((name) => name.length > 2) ? -40 : 0 } },
      y: { field: 'actual', type: 'ordinal', sort: order, title: 'true class' },
    },
    layer: [
      { mark: 'rect', encoding: { color: { field: 'count', type: 'quantitative', scale: { type: 'symlog', scheme: 'blues' }, title: 'images' } } },
      {
        mark: { type: 'text', fontSize: 12 },
        encoding: {
          text: { field: 'count', type: 'quantitative' },
          color: { condition: { test: 'datum.diagonal', value: 'white' }, value: '#222' },
        },
      },
    ],
    config: { font: FONT_FAMILY, background: 'white', axis: { labelFontSize: 12, titleFontSize: 13 } },
  };
  return renderVegaLitePng(spec);
}

/** Loss and accuracy per epoch, train and test, side by side. Epoch 0 has test values only. */
export function renderCurves(metrics: readonly MetricsRecord[], title: string): Promise<Buffer> {
  const values = metrics.flatMap((row) =>
    (['train', 'test'] as const).flatMap((split) =>
      (['loss', 'accuracy'] as const)
        .map((metric) => ({ epoch: row.epoch, split, metric, value: row[`${split}_${metric}`] }))
        .filter((point) => point.value !== undefined && Number.isFinite(point.value)),
    ),
  );
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values },
    facet: { column: { field: 'metric', type: 'nominal', title: null, sort: ['loss', 'accuracy'], header: { labelFontSize: 14 } } },
    spec: {
      width: 340,
      height: 260,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
        color: { field: 'split', type: 'nominal', title: null, sort: ['train', 'test'], legend: { orient: 'bottom' } },
      },
    },
    resolve: { scale: { y: 'independent' } },
    config: { font: FONT_FAMILY, background: 'white' },
  };
  return renderVegaLitePng(spec);
}

/** The images predicted wrongly with the highest confidence, most confident first. */
export function mostConfidentMistakes(labels: ArrayLike<number>, predicted: ArrayLike<number>, confidences: ArrayLike<number>, count: number): number[] {
  const wrong: number[] = [];
  for (let i = 0; i < labels.length; i++) if (predicted[i] !== labels[i]) wrong.push(i);
  return wrong.sort((a, b) => confidences[b] - confidences[a]).slice(0, count);
}
