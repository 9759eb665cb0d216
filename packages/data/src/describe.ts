import type { Dataset, ExampleSet } from './dataset.js';
import { isImageDataset } from './dataset.js';
import { printable } from './printable.js';

/** Above this ratio of the largest to the smallest class, validate warns (accuracy then says little). */
export const IMBALANCE_RATIO = 10;

const countsOf = (set: ExampleSet | undefined, classes: number) => {
  const counts = new Array<number>(classes).fill(0);
  if (set) for (let i = 0; i < set.count; i++) counts[set.labels[i]]++;
  return counts;
};

/** What `validate` prints about the data: the input, each class with its count per split, and the kind's notes. */
export function describeDataset(dataset: Dataset): string {
  const classes = dataset.classNames.length;
  const [train, validation, test] = [dataset.train, dataset.validation, dataset.test].map((set) => countsOf(set, classes));
  const input = isImageDataset(dataset)
    ? `images of ${dataset.inputShape.join('×')} (height×width×channels)`
    : dataset.vocabularySize !== undefined
      ? `each row's first ${dataset.inputShape[0] - (dataset.sideFeatures ?? 0)} token ids, of ${dataset.vocabularySize} (padding, unknown and the vocabulary)${dataset.sideFeatures ? `, then ${dataset.sideFeatures} inputs from the other columns (joined at the first dense layer)` : ''}`
      : `table rows as ${dataset.inputShape[0]} inputs`;
  const names = dataset.classNames.map(printable);
  const width = Math.max(5, ...names.map((name) => name.length));
  if (dataset.target) {
    const sizes = `  rows: ${dataset.train.count} training${dataset.validation ? `, ${dataset.validation.count} validation` : ''}, ${dataset.test.count} test`;
    return `${[`  input: ${input}`, ...dataset.notes.map((note) => `  ${printable(note)}`), sizes].join('\n')}\n`;
  }
  const lines = [
    `  input: ${input}`,
    ...dataset.notes.map((note) => `  ${printable(note)}`),
    `  ${'class'.padEnd(width)}  train${dataset.validation ? '  validation' : ''}   test`,
    ...names.map((name, k) => `  ${name.padEnd(width)}  ${String(train[k]).padStart(5)}${dataset.validation ? String(validation[k]).padStart(12) : ''}  ${String(test[k]).padStart(5)}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** One warning when the training classes are imbalanced beyond IMBALANCE_RATIO : 1. */
export function imbalanceWarnings(dataset: Dataset): string[] {
  if (dataset.target) return [];
  const counts = countsOf(dataset.train, dataset.classNames.length);
  const largest = Math.max(...counts);
  const smallest = Math.min(...counts);
  const most = printable(dataset.classNames[counts.indexOf(largest)]);
  const least = printable(dataset.classNames[counts.indexOf(smallest)]);
  if (smallest === 0) return [`class "${least}" has no training examples (after trainLimit and validationSplit): the model cannot learn it`];
  if (largest / smallest <= IMBALANCE_RATIO) return [];
  return [`the classes are imbalanced: "${most}" has ${largest} training examples, "${least}" ${smallest} (more than ${IMBALANCE_RATIO}:1); accuracy will flatter a model that ignores the small classes`];
}
