import type { TestText } from '@specml/data';
import { csvText } from './csv-text.js';
import type { TopLevelSpec } from 'vega-lite';
import { prepareVegaLite, renderVegaLitePng } from './charts.js';
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
  return csvText([['true_class', ...classNames], ...matrix.map((row, label) => [classNames[label], ...row])]);
}

/** Precision, recall, F1 and support of every class on the test set, one row each (scikit-learn's classification report). */
export function perClassCsv(scores: readonly { precision: number; recall: number; f1: number; support: number }[], classNames: readonly string[]): string {
  const fixed4 = (value: number) => Number(value.toFixed(4));
  return csvText([['class', 'precision', 'recall', 'f1', 'support'], ...scores.map((score, k) => [classNames[k], fixed4(score.precision), fixed4(score.recall), fixed4(score.f1), score.support])]);
}

/** A table's test rows: the true and predicted class and every class's probability, one row each; with text, the row's text last. */
export function predictionsCsv(labels: ArrayLike<number>, probabilities: Float32Array, classNames: readonly string[], text?: TestText): string {
  const classCount = classNames.length;
  const rows = Array.from({ length: labels.length }, (_, row) => {
    const own = Array.from(probabilities.subarray(row * classCount, (row + 1) * classCount));
    const predicted = own.indexOf(Math.max(...own));
    return [row + 1, classNames[labels[row]], classNames[predicted], ...own.map((p) => p.toFixed(4)), ...textCell(text, row)];
  });
  return csvText([['test_row', 'true_class', 'predicted_class', ...classNames.map((name) => `probability_${name}`), ...textHeader(text)], ...rows]);
}

const textHeader = (text: TestText | undefined) => (text ? [text.column] : []);
const textCell = (text: TestText | undefined, row: number) => (text ? [text.cells[row] ?? ''] : []);

/** The most classes confusion.png draws one by one; beyond that, the others are summed into one row and column. */
export const MAX_DRAWN_CLASSES = 30;

/**
 * The matrix a picture can show: with more than `most` classes, the `most` classes with the most mistakes
 * (as true or as predicted class) keep their rows and columns, and all others are summed into one "other"
 * row and column, so that the picture's size is bounded whatever the number of classes (confusion.csv keeps
 * every class).
 */
export function drawnConfusion(matrix: ConfusionMatrix, classNames: readonly string[], most = MAX_DRAWN_CLASSES): { matrix: ConfusionMatrix; classNames: string[]; note: string } {
  if (classNames.length <= most) return { matrix, classNames: [...classNames], note: '' };
  const mistakes = classNames.map((_, k) => matrix[k].reduce((sum, count, j) => sum + (j === k ? 0 : count), 0) + matrix.reduce((sum, row, i) => sum + (i === k ? 0 : row[k]), 0));
  const kept = classNames.map((_, k) => k).sort((a, b) => mistakes[b] - mistakes[a] || a - b).slice(0, most).sort((a, b) => a - b);
  const slot = new Map(kept.map((k, index) => [k, index]));
  const other = kept.length;
  const counts = Array.from({ length: other + 1 }, () => new Array<number>(other + 1).fill(0));
  matrix.forEach((row, i) => row.forEach((count, j) => (counts[slot.get(i) ?? other][slot.get(j) ?? other] += count)));
  const othersName = `other (${classNames.length - kept.length})`;
  return {
    matrix: counts,
    classNames: [...kept.map((k) => classNames[k]), othersName],
    note: ` (the ${kept.length} of ${classNames.length} classes with the most mistakes; the others summed in "${othersName}", every class in confusion.csv)`,
  };
}

/**
 * A heatmap of the confusion matrix with the counts written in the cells and the class names on the axes.
 * Its size is bounded: beyond MAX_DRAWN_CLASSES classes it draws drawnConfusion's summary, and says so.
 */
export function renderConfusion(fullMatrix: ConfusionMatrix, allClassNames: readonly string[], fullTitle: string): Promise<Buffer> {
  return renderVegaLitePng(confusionSpec(fullMatrix, allClassNames, fullTitle));
}

/**
 * Has the chart thread compile a run's curves and confusion matrix now, while the run trains, from what is
 * known before training (the titles, the classes): the pictures drawn at its end are then only drawn.
 */
export function prepareRunPictures(curvesTitle: string, score: CurvesScore, confusion?: { classNames: readonly string[]; title: string }): void {
  prepareVegaLite(runCurvesSpec([], curvesTitle, score));
  // Beyond MAX_DRAWN_CLASSES, which classes are drawn depends on the mistakes.
  if (confusion && confusion.classNames.length <= MAX_DRAWN_CLASSES) {
    const none = confusion.classNames.map(() => new Array<number>(confusion.classNames.length).fill(0));
    prepareVegaLite(confusionSpec(none, confusion.classNames, confusion.title));
  }
}

function confusionSpec(fullMatrix: ConfusionMatrix, allClassNames: readonly string[], fullTitle: string): TopLevelSpec {
  const { matrix, classNames, note } = drawnConfusion(fullMatrix, allClassNames);
  const title = `${fullTitle}${note}`;
  const values = matrix.flatMap((row, label) => row.map((count, guess) => ({ actual: classNames[label], predicted: classNames[guess], count, diagonal: label === guess })));
  const order = [...classNames];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: (classNames.length > 12 ? 28 : 44) * classNames.length,
    height: (classNames.length > 12 ? 28 : 44) * classNames.length,
    data: { values },
    encoding: {
      x: { field: 'predicted', type: 'ordinal', sort: order, title: 'predicted class', axis: { labelAngle: classNames.some((name) => name.length > 2) ? -40 : 0, labelLimit: 160 } },
      y: { field: 'actual', type: 'ordinal', sort: order, title: 'true class', axis: { labelLimit: 160 } },
    },
    layer: [
      { mark: 'rect', encoding: { color: { field: 'count', type: 'quantitative', scale: { type: 'symlog', scheme: 'blues' }, title: 'images' } } },
      {
        mark: { type: 'text', fontSize: classNames.length > 12 ? 9 : 12 },
        encoding: {
          text: { field: 'count', type: 'quantitative' },
          color: { condition: { test: 'datum.diagonal', value: 'white' }, value: '#222' },
        },
      },
    ],
    config: { font: FONT_FAMILY, background: 'white', axis: { labelFontSize: 12, titleFontSize: 13 } },
  };
}

/** Beside the loss: accuracy for a classifier, R² for a regression (the test set only has it). */
export type CurvesScore = 'accuracy' | 'r2';

/** Loss and the score per epoch, train and test, side by side. Epoch 0 has test values only. */
export function renderCurves(metrics: readonly MetricsRecord[], title: string, score: CurvesScore): Promise<Buffer> {
  return renderVegaLitePng(runCurvesSpec(metrics, title, score));
}

function runCurvesSpec(metrics: readonly MetricsRecord[], title: string, score: CurvesScore): TopLevelSpec {
  const values = metrics.flatMap((row) =>
    (['train', 'test'] as const).flatMap((split) =>
      (['loss', score] as const)
        .map((metric) => ({ epoch: row.epoch, split, metric, value: row[`${split}_${metric}` as keyof MetricsRecord] }))
        .filter((point) => point.value !== undefined && Number.isFinite(point.value)),
    ),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values },
    facet: { column: { field: 'metric', type: 'nominal', title: null, sort: ['loss', score], header: { labelFontSize: 14 } } },
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
}

/**
 * A regression's test rows: true and predicted value and the error, the largest errors first (the report
 * shows the first of them).
 */
export function regressionPredictionsCsv(truth: ArrayLike<number>, predicted: ArrayLike<number>, text?: TestText): string {
  const rows = Array.from({ length: truth.length }, (_, row) => ({ row: row + 1, truth: truth[row], predicted: predicted[row], error: predicted[row] - truth[row] }));
  rows.sort((a, b) => Math.abs(b.error) - Math.abs(a.error) || a.row - b.row);
  return csvText([['test_row', 'true_value', 'predicted_value', 'error', ...textHeader(text)], ...rows.map(({ row, truth: t, predicted: p, error }) => [row, fixed(t), fixed(p), fixed(error), ...textCell(text, row - 1)])]);
}

const fixed = (value: number) => Number(value.toPrecision(6));

/** Predicted against true values of the test rows, with the diagonal where they would be equal. */
export function renderPredictedVersusTrue(truth: ArrayLike<number>, predicted: ArrayLike<number>, target: string, title: string): Promise<Buffer> {
  const values = Array.from({ length: truth.length }, (_, i) => ({ truth: truth[i], predicted: predicted[i] }));
  const all = values.flatMap((point) => [point.truth, point.predicted]).filter(Number.isFinite);
  const [low, high] = [Math.min(...all), Math.max(...all)];
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 420,
    height: 420,
    layer: [
      { data: { values: [{ x: low, y: low }, { x: high, y: high }] }, mark: { type: 'line', color: '#999', strokeDash: [4, 4] }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } } },
      {
        data: { values },
        mark: { type: 'point', filled: true, opacity: 0.6, size: 30 },
        encoding: {
          x: { field: 'truth', type: 'quantitative', title: `true ${target}`, scale: { domain: [low, high] } },
          y: { field: 'predicted', type: 'quantitative', title: `predicted ${target}`, scale: { domain: [low, high] } },
        },
      },
    ],
    config: { font: FONT_FAMILY, background: 'white' },
  };
  return renderVegaLitePng(spec);
}

/** A histogram of the test rows' errors (predicted − true). */
export function renderResiduals(truth: ArrayLike<number>, predicted: ArrayLike<number>, target: string, title: string): Promise<Buffer> {
  const values = Array.from({ length: truth.length }, (_, i) => ({ error: predicted[i] - truth[i] }));
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 480,
    height: 260,
    data: { values },
    mark: { type: 'bar', color: '#3b6fd8' },
    encoding: {
      x: { field: 'error', type: 'quantitative', bin: { maxbins: 30 }, title: `error (predicted − true ${target})` },
      y: { aggregate: 'count', type: 'quantitative', title: 'test rows' },
    },
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
