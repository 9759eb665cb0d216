import type { Dataset } from './dataset.js';
import { UserError } from './errors.js';
import { nearestName } from './near-names.js';

/**
 * Each class's weight in the training loss, in class order: `balanced` as scikit-learn's
 * compute_class_weight (n_samples / (n_classes × count), over the training examples), or the spec's map of
 * class name to weight (classes it leaves out weigh 1). A name that is no class is a UserError.
 */
export function classWeightsOf(spec: 'balanced' | Record<string, number>, dataset: Pick<Dataset, 'train' | 'classNames'>): number[] {
  const classes = dataset.classNames.length;
  if (spec === 'balanced') {
    const counts = new Array<number>(classes).fill(0);
    for (let i = 0; i < dataset.train.count; i++) counts[dataset.train.labels[i]]++;
    const missing = counts.findIndex((count) => count === 0);
    if (missing >= 0) throw new UserError(`data.classWeights: balanced weighs each class by its training examples, and class "${dataset.classNames[missing]}" has none`);
    return counts.map((count) => dataset.train.count / (classes * count));
  }
  for (const name of Object.keys(spec)) {
    if (!dataset.classNames.includes(name)) {
      const guess = nearestName(name, dataset.classNames);
      throw new UserError(`data.classWeights: "${name}" is not a class${guess ? ` (did you mean "${guess}"?)` : ''}; the classes are ${dataset.classNames.slice(0, 20).join(', ')}`);
    }
  }
  return dataset.classNames.map((name) => spec[name] ?? 1);
}
