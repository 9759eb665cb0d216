// Scores of a classifier's predictions beyond accuracy, defined as scikit-learn defines them (its f1_score,
// roc_auc_score and precision_recall_fscore_support are the references in the tests).

/** Each example's most probable class (the first of equals, as argmax). */
export function predictedClasses(probabilities: Float32Array, classes: number): Uint8Array {
  const count = probabilities.length / classes;
  const predicted = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if (probabilities[i * classes + k] > probabilities[i * classes + best]) best = k;
    predicted[i] = best;
  }
  return predicted;
}

export interface ClassScores {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** How many examples truly are of this class. */
  readonly support: number;
}

/** Precision, recall and F1 of every class (0 where undefined, as scikit-learn's zero_division=0 does). */
export function perClassScores(labels: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): ClassScores[] {
  const truePositives = new Array<number>(classes).fill(0);
  const predictedCounts = new Array<number>(classes).fill(0);
  const support = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) {
    support[labels[i]]++;
    predictedCounts[predicted[i]]++;
    if (labels[i] === predicted[i]) truePositives[labels[i]]++;
  }
  return support.map((count, k) => {
    const precision = predictedCounts[k] > 0 ? truePositives[k] / predictedCounts[k] : 0;
    const recall = count > 0 ? truePositives[k] / count : 0;
    return { precision, recall, f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0, support: count };
  });
}

/**
 * Macro F1 over the classes present in the labels or the predictions (scikit-learn's f1_score(average='macro')
 * over the labels it sees).
 */
export function macroF1(labels: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): number {
  const present = new Set<number>([...Array.from(labels), ...Array.from(predicted)]);
  const scores = perClassScores(labels, predicted, classes).filter((_, k) => present.has(k));
  return scores.reduce((sum, score) => sum + score.f1, 0) / scores.length;
}

/** The area under the ROC curve of scores for positives against negatives (the Mann–Whitney U statistic, ties counted half). */
function binaryAuc(scores: ArrayLike<number>, positive: (index: number) => boolean): number {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1]] === scores[order[start]]) end++;
    const rank = (start + end) / 2 + 1; // the mean rank of a group of ties
    for (let i = start; i <= end; i++) {
      if (positive(order[i])) {
        positives++;
        rankSum += rank;
      }
    }
    start = end + 1;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * ROC AUC: for two classes, of the second class's probability; for more, the mean over classes of each
 * class against the rest (scikit-learn's roc_auc_score(multi_class='ovr', average='macro')). NaN when a class
 * needed has no example on one side (scikit-learn refuses those).
 */
export function rocAuc(labels: ArrayLike<number>, probabilities: Float32Array, classes: number): number {
  const count = labels.length;
  const column = (k: number) => Float64Array.from({ length: count }, (_, i) => probabilities[i * classes + k]);
  if (classes === 2) return binaryAuc(column(1), (i) => labels[i] === 1);
  let sum = 0;
  for (let k = 0; k < classes; k++) sum += binaryAuc(column(k), (i) => labels[i] === k);
  return sum / classes;
}
