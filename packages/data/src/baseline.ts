import type { Dataset } from './dataset.js';

/**
 * What a model that learnt nothing scores on the test set: always the training rows' most frequent class
 * (classification), or always their mean (regression). A run that does not beat it learnt nothing useful.
 */
export function trivialBaseline(dataset: Pick<Dataset, 'train' | 'test' | 'classNames' | 'target'>): { description: string; test_accuracy?: number; test_mae?: number; test_rmse?: number } {
  const { train, test } = dataset;
  if (dataset.target) {
    const mean = dataset.target.mean;
    let absolute = 0;
    let squared = 0;
    for (let i = 0; i < test.count; i++) {
      absolute += Math.abs(test.labels[i] - mean);
      squared += (test.labels[i] - mean) ** 2;
    }
    return { description: `always the training mean of ${dataset.target.name} (${Number(mean.toPrecision(4))})`, test_mae: absolute / test.count, test_rmse: Math.sqrt(squared / test.count) };
  }
  const counts = new Array<number>(dataset.classNames.length).fill(0);
  for (let i = 0; i < train.count; i++) counts[train.labels[i]]++;
  const majority = counts.indexOf(Math.max(...counts));
  let correct = 0;
  for (let i = 0; i < test.count; i++) if (test.labels[i] === majority) correct++;
  return { description: `always the most frequent training class (${dataset.classNames[majority]})`, test_accuracy: correct / test.count };
}
