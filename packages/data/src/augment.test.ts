import { describe, expect, it } from 'vitest';
import { augments, createAugmenter, transformImages } from './augment.js';

// 3×4 images with 2 channels: pixel (x, y) holds [10·y + x, 100 + 10·y + x].
const [HEIGHT, WIDTH, CHANNELS] = [3, 4, 2];
const image = Uint8Array.from({ length: HEIGHT * WIDTH * CHANNELS }, (_, k) => {
  const pixel = Math.floor(k / CHANNELS);
  return (k % CHANNELS) * 100 + 10 * Math.floor(pixel / WIDTH) + (pixel % WIDTH);
});
const setOf = (count: number) => {
  const inputs = new Uint8Array(count * image.length);
  for (let i = 0; i < count; i++) inputs.set(image, i * image.length);
  return { inputs, labels: new Uint8Array(count), count };
};
const at = (inputs: Uint8Array, index: number, x: number, y: number) => Array.from(inputs.subarray(index * image.length + (y * WIDTH + x) * CHANNELS, index * image.length + (y * WIDTH + x + 1) * CHANNELS));

describe('augmentation', () => {
  it('flips whole images, about half of them, and keeps every pixel', async () => {
    const augmenter = createAugmenter(setOf(200), [HEIGHT, WIDTH, CHANNELS], { flip: 'horizontal' }, 1);
    await augmenter.prepare(1, 1000);
    const out = augmenter.set.inputs as Uint8Array;
    let flipped = 0;
    for (let i = 0; i < 200; i++) {
      const mirrored = at(out, i, 0, 1)[0] === 13;
      if (mirrored) flipped++;
      for (let y = 0; y < HEIGHT; y++) for (let x = 0; x < WIDTH; x++) expect(at(out, i, x, y)).toEqual(at(image, 0, mirrored ? WIDTH - 1 - x : x, y));
    }
    expect(flipped).toBeGreaterThan(70);
    expect(flipped).toBeLessThan(130);
  });

  it('shifts by whole pixels up to the fraction asked, filling the border with black', async () => {
    const augmenter = createAugmenter(setOf(100), [HEIGHT, WIDTH, CHANNELS], { shift: 0.25 }, 2);
    await augmenter.prepare(1, 1000);
    const out = augmenter.set.inputs as Uint8Array;
    const shifts = new Set<string>();
    for (let i = 0; i < 100; i++) {
      // Find the shift from where pixel (1, 1) of the original landed.
      let found = '';
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) if (at(out, i, 1 + dx, 1 + dy)[0] === 11 && at(out, i, 1 + dx, 1 + dy)[1] === 111) found = `${dx},${dy}`;
      expect(found, `image ${i}`).not.toBe('');
      shifts.add(found);
      const [dx, dy] = found.split(',').map(Number);
      for (let y = 0; y < HEIGHT; y++) for (let x = 0; x < WIDTH; x++) {
        const [sx, sy] = [x - dx, y - dy];
        expect(at(out, i, x, y)).toEqual(sx < 0 || sy < 0 || sx >= WIDTH || sy >= HEIGHT ? [0, 0] : at(image, 0, sx, sy));
      }
    }
    expect(shifts.size).toBe(9); // every whole-pixel shift in [-1, 1]², none further
  });

  it('turns about the centre: a half turn of a square image is the image upside down and mirrored', async () => {
    const square = Uint8Array.from({ length: 9 }, (_, k) => k * 20);
    const augmenter = createAugmenter({ inputs: square, labels: new Uint8Array(1), count: 1 }, [3, 3, 1], { rotate: 180 }, 3);
    // Find an epoch whose draw is (nearly) ±180°: then the image is reversed.
    const reversed = Array.from(square).reverse();
    let matched = false;
    for (let epoch = 1; epoch < 400 && !matched; epoch++) {
      await augmenter.prepare(epoch, 1000);
      matched = Array.from(augmenter.set.inputs).every((value, k) => Math.abs(value - reversed[k]) <= 8);
    }
    expect(matched).toBe(true);
  });

  it('draws from the seed and the epoch alone: the same epoch twice is identical, another epoch or seed differs', async () => {
    const spec = { flip: 'both' as const, shift: 0.3, rotate: 20 };
    const a = createAugmenter(setOf(50), [HEIGHT, WIDTH, CHANNELS], spec, 7);
    const b = createAugmenter(setOf(50), [HEIGHT, WIDTH, CHANNELS], spec, 7);
    await a.prepare(3, 1000);
    await b.prepare(1, 1000);
    await b.prepare(2, 1000);
    await b.prepare(3, 1000);
    expect(b.set.inputs).toEqual(a.set.inputs);
    const epoch3 = Uint8Array.from(a.set.inputs);
    await a.prepare(4, 1000);
    expect(a.set.inputs).not.toEqual(epoch3);
    const other = createAugmenter(setOf(50), [HEIGHT, WIDTH, CHANNELS], spec, 8);
    await other.prepare(3, 1000);
    expect(other.set.inputs).not.toEqual(epoch3);
    expect(augments({ flip: 'none', shift: 0 })).toBe(false);
    expect(augments({ rotate: 5 })).toBe(true);
  });
});

describe('augmentation in the background', () => {
  it('makes the next epoch while one trains, and every epoch holds what the synchronous transform makes', async () => {
    const spec = { flip: 'horizontal' as const, shift: 0.25, rotate: 30 };
    const made: number[] = [];
    const background = async (source: Uint8Array, target: Uint8Array, shape: readonly number[], parameters: Float64Array) => {
      await new Promise((wake) => setTimeout(wake, 5));
      transformImages(source, target, shape, parameters);
      made.push(parameters[4]);
    };
    const ahead = createAugmenter(setOf(40), [HEIGHT, WIDTH, CHANNELS], spec, 5, transformImages, background);
    const plain = createAugmenter(setOf(40), [HEIGHT, WIDTH, CHANNELS], spec, 5);
    const engineView = ahead.set; // what an engine holds on to
    for (let epoch = 1; epoch <= 4; epoch++) {
      await ahead.prepare(epoch, 4);
      await plain.prepare(epoch, 4);
      expect(Array.from(engineView.inputs), `epoch ${epoch}`).toEqual(Array.from(plain.set.inputs));
    }
    expect(made).toHaveLength(3); // epochs 2, 3 and 4, each made while the one before trained
    // A resume starts anywhere: epoch 3 again, directly.
    const resumed = createAugmenter(setOf(40), [HEIGHT, WIDTH, CHANNELS], spec, 5, transformImages, background);
    await resumed.prepare(3, 4);
    await plain.prepare(3, 4);
    expect(Array.from(resumed.set.inputs)).toEqual(Array.from(plain.set.inputs));
  });
});
