import type { ExampleSet } from './dataset.js';

/**
 * Writes the inputs of the examples at `order[start … start+size)` into a preallocated buffer, as floats
 * (pixel bytes / 255). Building batches from typed arrays avoids slicing a 60000×784 tensor every step,
 * which is very slow on the wasm backend.
 */
export function fillInputs(set: ExampleSet, order: Uint32Array, start: number, size: number, inputs: Float32Array): void {
  const exampleSize = set.inputs.length / set.count;
  const bytes = set.inputs instanceof Uint8Array;
  for (let row = 0; row < size; row++) {
    const source = order[start + row] * exampleSize;
    const target = row * exampleSize;
    // Divided (not multiplied by 1/255) so that the floats equal the native engine's byte / 255 exactly.
    if (bytes) for (let p = 0; p < exampleSize; p++) inputs[target + p] = set.inputs[source + p] / 255;
    else inputs.set(set.inputs.subarray(source, source + exampleSize), target);
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
