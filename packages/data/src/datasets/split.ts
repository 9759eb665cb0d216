import type { ExampleSet } from '../dataset.js';
import { UserError } from '../errors.js';
import { createRng, randomPermutation } from '../random.js';
import { sliceRows, sparseSet } from '../sparse-rows.js';

/**
 * The seed of every split a loader draws (test split, interleaving): fixed, so that every run, every seed
 * of a sweep and every worker trains and tests on the same examples.
 */
const SPLIT_SEED = 'specml-split';

/**
 * Holds out `fraction` of each class (rounded, at least one of a class with two or more examples) as the
 * test set, drawn with the fixed split seed: stratified like scikit-learn's `train_test_split(stratify=y)`.
 * Returns example indices, each part in a fixed pseudo-random order.
 */
export function stratifiedIndices(labels: ArrayLike<number>, fraction: number): { train: number[]; test: number[] } {
  const rng = createRng(`${SPLIT_SEED}-test`);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const members = byClass.get(labels[i]) ?? [];
    members.push(i);
    byClass.set(labels[i], members);
  }
  const train: number[] = [];
  const test: number[] = [];
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = byClass.get(label)!;
    const order = randomPermutation(members.length, rng);
    const held = members.length < 2 ? 0 : Math.min(members.length - 1, Math.max(1, Math.round(members.length * fraction)));
    order.forEach((k, position) => (position < held ? test : train).push(members[k]));
  }
  return { train: shuffled(train), test: shuffled(test) };
}

/** Holds out a seeded random `fraction` of n examples (rounded) as the test set: for a regression, which has no classes to stratify. */
export function randomSplit(n: number, fraction: number): { train: number[]; test: number[] } {
  const order = Array.from(randomPermutation(n, createRng(`${SPLIT_SEED}-test`)));
  const held = Math.round(n * fraction);
  return { train: shuffled(order.slice(held)), test: shuffled(order.slice(0, held)) };
}

/** `items` in a fixed pseudo-random order. */
export function shuffled<T>(items: readonly T[]): T[] {
  return Array.from(randomPermutation(items.length, createRng(SPLIT_SEED)), (k) => items[k]);
}

/** The first `limit` examples. */
export function limited(set: ExampleSet, limit: number | undefined): ExampleSet {
  if (limit === undefined || limit >= set.count) return set;
  return rowsOf(set, 0, limit);
}

/** Examples [start, start + count) of a set, as views; a sparse set's stay sparse. */
function rowsOf(set: ExampleSet, start: number, count: number): ExampleSet {
  const labels = set.labels.subarray(start, start + count);
  if (set.sparse) return sparseSet(sliceRows(set.sparse, start, count), labels);
  const size = set.inputs.length / set.count;
  return { inputs: set.inputs.subarray(start * size, (start + count) * size), labels, count };
}

/** The set without its last `fraction`, and that last part (none when no fraction is given). */
export function splitOff(set: ExampleSet, fraction: number | undefined): [ExampleSet, ExampleSet | undefined] {
  if (!fraction) return [set, undefined];
  const held = Math.floor(set.count * fraction);
  const kept = set.count - held;
  if (held < 1 || kept < 1) {
    throw new UserError(`data.validationSplit: ${fraction} of ${set.count} training examples leaves ${held} for validation and ${kept} for training (use more examples or another fraction)`);
  }
  return [rowsOf(set, 0, kept), rowsOf(set, kept, held)];
}

/**
 * Fold `fold` (1-based) of `folds` as the validation set and the other folds as training, like scikit-learn's
 * StratifiedKFold (each class dealt round-robin over the folds from a fixed shuffled order) for classes, KFold
 * over a fixed shuffle for numbers: the same folds for every run, seed and member. Copies the examples, in
 * their original order within each part.
 */
export function foldSplit(set: ExampleSet, folds: number, fold: number, stratify: boolean): [ExampleSet, ExampleSet] {
  if (set.count < folds) throw new UserError(`data.folds: ${folds} folds need at least ${folds} training examples, and there are ${set.count}`);
  const assigned = new Uint16Array(set.count);
  const rng = createRng(`${SPLIT_SEED}-folds`);
  const groups = new Map<number, number[]>();
  for (let i = 0; i < set.count; i++) {
    const key = stratify ? set.labels[i] : 0;
    const group = groups.get(key);
    if (group) group.push(i);
    else groups.set(key, [i]);
  }
  let dealt = 0;
  for (const key of [...groups.keys()].sort((a, b) => a - b)) {
    const members = groups.get(key)!;
    // Continue the round-robin across classes, so that folds differ in size by at most one example.
    for (const k of randomPermutation(members.length, rng)) assigned[members[k]] = dealt++ % folds;
  }
  const size = set.inputs.length / set.count;
  const part = (inFold: boolean): ExampleSet => {
    const indices: number[] = [];
    for (let i = 0; i < set.count; i++) if ((assigned[i] === fold - 1) === inFold) indices.push(i);
    const inputs = new (set.inputs.constructor as Uint8ArrayConstructor)(indices.length * size);
    const labels = new (set.labels.constructor as Uint8ArrayConstructor)(indices.length);
    indices.forEach((index, position) => {
      inputs.set(set.inputs.subarray(index * size, (index + 1) * size), position * size);
      labels[position] = set.labels[index];
    });
    return { inputs, labels, count: indices.length };
  };
  return [part(false), part(true)];
}
