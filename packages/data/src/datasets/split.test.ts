import { describe, expect, it } from 'vitest';
import { foldSplit } from './split.js';

describe('k-fold split', () => {
  // 50 examples of three unbalanced classes; each example's input is its index, to follow it.
  const labels = Uint8Array.from({ length: 50 }, (_, i) => (i < 30 ? 0 : i < 45 ? 1 : 2));
  const set = { inputs: Float32Array.from({ length: 50 }, (_, i) => i), labels, count: 50 };

  it('partitions the examples: every example validates in exactly one fold and trains in the others', () => {
    const validated: number[] = [];
    for (let fold = 1; fold <= 5; fold++) {
      const [train, validation] = foldSplit(set, 5, fold, true);
      expect(train.count + validation.count).toBe(50);
      const trainIndices = new Set(Array.from(train.inputs));
      expect(Array.from(validation.inputs).some((index) => trainIndices.has(index))).toBe(false);
      validated.push(...Array.from(validation.inputs));
      // Each row keeps its label.
      Array.from(validation.inputs).forEach((index, position) => expect(validation.labels[position]).toBe(labels[index]));
    }
    expect(validated.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('stratifies by class (each fold holds its share of every class, within one example) and is the same every time', () => {
    for (let fold = 1; fold <= 5; fold++) {
      const [, validation] = foldSplit(set, 5, fold, true);
      const counts = [0, 1, 2].map((label) => Array.from(validation.labels).filter((value) => value === label).length);
      expect(counts.map((count, label) => Math.abs(count - [6, 3, 1][label]) <= 1)).toEqual([true, true, true]);
      expect(foldSplit(set, 5, fold, true)[1].inputs).toEqual(validation.inputs);
    }
  });

  it('refuses more folds than examples', () => {
    expect(() => foldSplit({ ...set, count: 3, labels: labels.subarray(0, 3), inputs: set.inputs.subarray(0, 3) }, 5, 1, true)).toThrow('data.folds: 5 folds need at least 5 training examples, and there are 3');
  });
});
