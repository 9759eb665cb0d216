/** Summed softmax cross-entropy and correct-argmax count of `count` rows of logits against their labels. */
export function scoreLogits(
  logits: Float32Array,
  labels: ArrayLike<number>,
  count: number,
  classCount: number,
): { lossSum: number; correct: number } {
  let lossSum = 0;
  let correct = 0;
  for (let row = 0; row < count; row++) {
    const base = row * classCount;
    let top = 0;
    for (let k = 1; k < classCount; k++) if (logits[base + k] > logits[base + top]) top = k;
    let sum = 0;
    for (let k = 0; k < classCount; k++) sum += Math.exp(logits[base + k] - logits[base + top]);
    const label = labels[row];
    lossSum += Math.log(sum) - (logits[base + label] - logits[base + top]);
    if (top === label) correct++;
  }
  return { lossSum, correct };
}

/** Row-wise softmax of a matrix of logits with `classCount` columns. */
export function softmaxRows(logits: Float32Array, classCount: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let base = 0; base < logits.length; base += classCount) {
    let top = -Infinity;
    for (let k = 0; k < classCount; k++) top = Math.max(top, logits[base + k]);
    let sum = 0;
    for (let k = 0; k < classCount; k++) sum += out[base + k] = Math.exp(logits[base + k] - top);
    for (let k = 0; k < classCount; k++) out[base + k] /= sum;
  }
  return out;
}
