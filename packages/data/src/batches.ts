import type { ImageSet } from './datasets.js';

/**
 * Writes the images and labels at `order[start … start+size)` into preallocated buffers: pixels scaled to
 * [0, 1] (like torchvision's ToTensor) and labels one-hot. Building batches from typed arrays avoids
 * slicing a 60000×784 tensor every step, which is very slow on the wasm backend.
 */
export function fillBatch(
  set: ImageSet,
  order: Uint32Array,
  start: number,
  size: number,
  pixels: Float32Array,
  oneHot: Float32Array,
  classCount: number,
): void {
  const imageSize = set.images.length / set.count;
  oneHot.fill(0, 0, size * classCount);
  for (let row = 0; row < size; row++) {
    const index = order[start + row];
    const source = index * imageSize;
    const target = row * imageSize;
    for (let p = 0; p < imageSize; p++) pixels[target + p] = set.images[source + p] / 255;
    oneHot[row * classCount + set.labels[index]] = 1;
  }
}

/** The images [start, start+count) of a set as floats in [0, 1]. */
export function imagesAsFloats(set: ImageSet, start: number, count: number): Float32Array {
  const imageSize = set.images.length / set.count;
  const bytes = set.images.subarray(start * imageSize, (start + count) * imageSize);
  const floats = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) floats[i] = bytes[i] / 255;
  return floats;
}
