import tf = require('@tensorflow/tfjs-core');
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { createRng } from '@specml/data';
import { describe, expect, it } from 'vitest';
import { activateTfjsBackend } from './backend.js';

describe('UnsortedSegmentSum (the gradient of an embedding\'s lookup) on the tfjs backends specml trains on', () => {
  it.each(['cpu', 'wasm'] as const)('sums the rows of each id on %s, dropping ids outside the segments, in one pass over the rows (an embedding of 20,000 tokens)', async (backend) => {
    await activateTfjsBackend(backend);
    const rng = createRng(3);
    const [rows, width, segments] = [300, 5, 7];
    const values = Float32Array.from({ length: rows * width }, () => rng.next() - 0.5);
    const ids = Int32Array.from({ length: rows }, () => Math.floor(rng.next() * (segments + 2)) - 1);
    const expected = new Float32Array(segments * width);
    ids.forEach((id, r) => {
      if (id >= 0 && id < segments) for (let k = 0; k < width; k++) expected[id * width + k] += values[r * width + k];
    });
    const summed = tf.tidy(() => tf.unsortedSegmentSum(tf.tensor2d(values, [rows, width]), tf.tensor1d(ids, 'int32'), segments));
    expect(summed.shape).toEqual([segments, width]);
    const actual = summed.dataSync();
    expected.forEach((value, k) => expect(actual[k]).toBeCloseTo(value, 5));
    summed.dispose();
    // An embedding's gradient over a large vocabulary: tfjs-backend-cpu's own kernel masks the whole input
    // once per segment (minutes here); this one reads each row once.
    const gradient = tf.tidy(() => tf.grad((table: tf.Tensor) => tf.sum(tf.gather(table, tf.tensor1d(Int32Array.from({ length: 3000 }, (_, k) => k % 20_000), 'int32'))))(tf.zeros([20_000, 16])));
    expect(gradient.shape).toEqual([20_000, 16]);
    expect(tf.sum(gradient).dataSync()[0]).toBe(3000 * 16);
    gradient.dispose();
  });
});
