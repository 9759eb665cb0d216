import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { readIdxFile } from '../idx.js';
import type { Dataset } from '../dataset.js';

const IDX_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** A folder of the four IDX files (MNIST's layout), raw or gzipped. Without `classNames`, classes are named by their index. */
export function loadIdxFolder(name: string, folder: string, classNames?: readonly string[]): Omit<Dataset, 'validation'> {
  const train = readImageSet(folder, IDX_FILES.trainImages, IDX_FILES.trainLabels);
  const test = readImageSet(folder, IDX_FILES.testImages, IDX_FILES.testLabels);
  const [height, width] = [train.dims[1], train.dims[2]];
  if (test.dims[1] !== height || test.dims[2] !== width) {
    throw new UserError(`${test.imagesPath}: test images are ${test.dims[1]}×${test.dims[2]} but training images are ${height}×${width}`);
  }
  // Classes are counted on the whole label files, so limits never change what a label means.
  const names = classNames ?? Array.from({ length: maxByte(train.set.labels) + 1 }, (_, label) => String(label));
  for (const [labels, path] of [[train.set.labels, train.labelsPath], [test.set.labels, test.labelsPath]] as const) {
    const index = labels.findIndex((label) => label >= names.length);
    if (index >= 0) {
      const known = classNames ? `${name} has only ${names.length} classes` : `the training labels use ${names.length} classes`;
      throw new UserError(`${path}: label ${labels[index]} at index ${index} is not a class: ${known} (0–${names.length - 1})`);
    }
  }
  return { name, train: train.set, test: test.set, inputShape: [height, width, 1], classNames: names, notes: [] };
}

function readImageSet(folder: string, imagesName: string, labelsName: string) {
  const imagesPath = findIdxFile(folder, imagesName);
  const labelsPath = findIdxFile(folder, labelsName);
  const images = readIdxFile(imagesPath);
  const labels = readIdxFile(labelsPath);
  if (images.dims.length !== 3) {
    throw new UserError(`${imagesPath}: expected images of shape count×height×width, the header has ${images.dims.length} dimensions`);
  }
  if (labels.dims.length !== 1) {
    throw new UserError(`${labelsPath}: expected a 1-dimensional label file, the header has ${labels.dims.length} dimensions`);
  }
  if (images.dims[0] !== labels.dims[0]) {
    throw new UserError(`${labelsPath}: holds ${labels.dims[0]} labels but ${imagesPath} holds ${images.dims[0]} images`);
  }
  if (images.dims[0] === 0) throw new UserError(`${imagesPath}: holds no images (a dataset needs at least one training and one test image)`);
  if (images.dims[1] === 0 || images.dims[2] === 0) throw new UserError(`${imagesPath}: its images are ${images.dims[1]}×${images.dims[2]} pixels: they have none`);
  return { imagesPath, labelsPath, dims: images.dims, set: { inputs: images.data, labels: labels.data, count: images.dims[0] } };
}

function findIdxFile(folder: string, baseName: string): string {
  for (const candidate of [baseName, `${baseName}.gz`]) {
    const path = join(folder, candidate);
    if (existsSync(path)) return path;
  }
  throw new UserError(`${join(folder, baseName)}: dataset file not found (also looked for ${baseName}.gz)`);
}

function maxByte(bytes: Uint8Array): number {
  let max = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] > max) max = bytes[i];
  return max;
}
