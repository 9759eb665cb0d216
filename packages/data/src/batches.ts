import type { ExampleSet } from './dataset.js';


/**
 * Writes the examples at `order[start … start+size)` into preallocated buffers: inputs as floats and labels
 * one-hot. Building batches from typed arrays avoids slicing a 60000×784 tensor every step, which is very
 * slow on the wasm backend.
 */
export function fillBatch(
  set: ExampleSet,
  order: Uint32Array,
  start: number,
  size: number,
  inputs: Float32Array,
  oneHot: Float32Array,
  classCount: number,
): void {
  const exampleSize = set.inputs.length / set.count;
  const bytes = set.inputs instanceof Uint8Array;
  oneHot.fill(0, 0, size * classCount);
  for (let row = 0; row < size; row++) {
    const index = order[start + row];
    const source = index * exampleSize;
    const target = row * exampleSize;
    // Divided (not multiplied by 1/255) so that the floats equal the native engine's byte / 255 exactly.
    if (bytes) for (let p = 0; p < exampleSize; p++) inputs[target + p] = set.inputs[source + p] / 255;
    else inputs.set(set.inputs.subarray(source, source + exampleSize), target);
    oneHot[row * classCount + set.labels[index]] = 1;
  }
}

/** The examples [start, start+count) of a set as the model's floats. */
export function inputsAsFloats(set: ExampleSet, start: number, count: number): Float32Array {
  const exampleSize = set.inputs.length / set.count;
  const part = set.inputs.subarray(start * exampleSize, (start + count) * exampleSize);
  if (part instanceof Float32Array) return Float32Array.from(part);
  const floats = new Float32Array(part.length);
  for (let i = 0; i < part.length; i++) floats[i] = part[i] / 255;
  return floats;
}
