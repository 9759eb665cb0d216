import type { ExampleSet } from './dataset.js';
import { createRng } from './random.js';

/** `data.augment`: random changes to the training images, new every epoch. */
export interface AugmentSpec {
  readonly flip?: 'none' | 'horizontal' | 'vertical' | 'both';
  /** Up to this fraction of the width (and height) either way, in whole pixels. */
  readonly shift?: number;
  /** Up to this many degrees either way. */
  readonly rotate?: number;
}

export const AUGMENT_PROPERTY = {
  type: 'object',
  additionalProperties: false,
  description: 'Image datasets: random changes to the training images, drawn anew every epoch from the spec\'s seed (the same spec gives the same metrics, also after a resume); test and validation images are never changed.',
  properties: {
    flip: { enum: ['none', 'horizontal', 'vertical', 'both'], description: 'Mirror each image left-right (horizontal), top-bottom (vertical) or either, each with probability 1/2.' },
    shift: { type: 'number', minimum: 0, maximum: 0.5, description: 'Move each image by up to this fraction of its width and height either way (whole pixels); the uncovered border is black.' },
    rotate: { type: 'number', minimum: 0, maximum: 180, description: 'Turn each image about its centre by up to this many degrees either way (bilinear).' },
  },
} as const;

/** Whether the spec asks for any change at all. */
export const augments = (spec: AugmentSpec | undefined): spec is AugmentSpec => !!spec && ((spec.flip ?? 'none') !== 'none' || (spec.shift ?? 0) > 0 || (spec.rotate ?? 0) > 0);

/** Numbers per image in the parameters an augmenter draws: flip x (0/1), flip y (0/1), shift x, shift y (pixels), cos and sin of the angle. */
export const AUGMENT_PARAMETERS = 6;

/**
 * Writes each image of `source` transformed by its parameters into `target` (both HWC bytes, `shape` =
 * [height, width, channels]). The native engine has the same function, with the same arithmetic.
 */
export type ImageTransform = (source: Uint8Array, target: Uint8Array, shape: readonly number[], parameters: Float64Array) => void;
/** The same, off the main thread (the native engine's worker thread): resolves when `target` is written. */
export type BackgroundImageTransform = (source: Uint8Array, target: Uint8Array, shape: readonly number[], parameters: Float64Array) => Promise<void>;

export interface Augmenter {
  /** The training set the engines read: its inputs are the current epoch's images. */
  readonly set: ExampleSet;
  /**
   * Makes `set` hold epoch `epoch`'s images (waiting for them if they are being made in the background), and
   * with a background transform starts making the next epoch's while this one trains, up to `lastEpoch`.
   */
  prepare(epoch: number, lastEpoch: number): Promise<void>;
}

/**
 * The training set that engines read, rewritten before each epoch from the original images: every image
 * flipped, shifted and turned by amounts drawn from (seed, epoch) alone, so that an epoch's images do not
 * depend on what ran before it (a resumed run sees the same ones). `transform` applies them (the native
 * engine's, where it is built); with `background`, the next epoch's images are made while one trains, in a
 * second buffer, so that augmentation costs training little or no time.
 */
export function createAugmenter(original: ExampleSet, inputShape: readonly number[], spec: AugmentSpec, seed: number, transform: ImageTransform = transformImages, background?: BackgroundImageTransform): Augmenter {
  const [height, width] = inputShape;
  const source = original.inputs as Uint8Array;
  const buffers = [new Uint8Array(source.length), new Uint8Array(source.length)];
  const set: { inputs: Uint8Array; labels: ExampleSet['labels']; count: number } = { inputs: buffers[0], labels: original.labels, count: original.count };
  const flips = spec.flip ?? 'none';
  const maxShiftX = Math.round((spec.shift ?? 0) * width);
  const maxShiftY = Math.round((spec.shift ?? 0) * height);
  const maxAngle = ((spec.rotate ?? 0) * Math.PI) / 180;
  /** The epoch being made in the background, into which buffer, and when it is done. */
  let ahead: { epoch: number; buffer: Uint8Array; done: Promise<void> } | undefined;

  function parametersOf(epoch: number): Float64Array {
    const parameters = new Float64Array(set.count * AUGMENT_PARAMETERS);
    const rng = createRng(`${seed}-augment-${epoch}`);
    for (let i = 0; i < set.count; i++) {
      const flipX = (flips === 'horizontal' || flips === 'both') && rng.next() < 0.5;
      const flipY = (flips === 'vertical' || flips === 'both') && rng.next() < 0.5;
      const dx = maxShiftX ? Math.floor(rng.next() * (2 * maxShiftX + 1)) - maxShiftX : 0;
      const dy = maxShiftY ? Math.floor(rng.next() * (2 * maxShiftY + 1)) - maxShiftY : 0;
      const angle = maxAngle ? (rng.next() * 2 - 1) * maxAngle : 0;
      const p = i * AUGMENT_PARAMETERS;
      parameters[p] = flipX ? 1 : 0;
      parameters[p + 1] = flipY ? 1 : 0;
      parameters[p + 2] = dx;
      parameters[p + 3] = dy;
      parameters[p + 4] = Math.cos(angle);
      parameters[p + 5] = Math.sin(angle);
    }
    return parameters;
  }

  async function prepare(epoch: number, lastEpoch: number): Promise<void> {
    const spare = set.inputs === buffers[0] ? buffers[1] : buffers[0];
    if (ahead?.epoch === epoch) {
      await ahead.done;
      set.inputs = ahead.buffer;
    } else {
      await ahead?.done; // a different epoch (a resume): never write into a buffer a transform still writes
      transform(source, spare, inputShape, parametersOf(epoch));
      set.inputs = spare;
    }
    ahead = undefined;
    if (background && epoch < lastEpoch) {
      const buffer = set.inputs === buffers[0] ? buffers[1] : buffers[0];
      ahead = { epoch: epoch + 1, buffer, done: background(source, buffer, inputShape, parametersOf(epoch + 1)) };
    }
  }

  return { set, prepare };
}

/** The transform in TypeScript: what runs where the native engine is not built. */
export function transformImages(source: Uint8Array, target: Uint8Array, shape: readonly number[], parameters: Float64Array): void {
  const [height, width, channels] = shape;
  const images: ImagePair = { source, target, height, width, channels, rowStride: width * channels };
  const size = height * width * channels;
  const count = parameters.length / AUGMENT_PARAMETERS;
  for (let i = 0; i < count; i++) {
    const p = i * AUGMENT_PARAMETERS;
    const move: Move = { from: i * size, flipX: parameters[p] === 1, flipY: parameters[p + 1] === 1, dx: parameters[p + 2], dy: parameters[p + 3] };
    const [cos, sin] = [parameters[p + 4], parameters[p + 5]];
    if (sin === 0) copyShifted(images, move);
    else rotateShifted(images, move, cos, sin);
  }
}

/** A batch of images and where its transformed copies go, both row after row of channels-last pixels. */
interface ImagePair {
  readonly source: Uint8Array;
  readonly target: Uint8Array;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly rowStride: number;
}

/** One image's flips and shift (whole pixels), and where it starts in the batch. */
interface Move {
  readonly from: number;
  readonly flipX: boolean;
  readonly flipY: boolean;
  readonly dx: number;
  readonly dy: number;
}

/** Flips and whole-pixel shifts move pixels without blending them: a copy per pixel. */
function copyShifted({ source, target, height, width, channels, rowStride }: ImagePair, { from, flipX, flipY, dx, dy }: Move) {
  for (let y = 0; y < height; y++) {
    const sy = y - dy;
    const row = from + y * rowStride;
    if (sy < 0 || sy >= height) {
      target.fill(0, row, row + rowStride);
      continue;
    }
    const sourceRow = from + (flipY ? height - 1 - sy : sy) * rowStride;
    for (let x = 0; x < width; x++) {
      const sx = x - dx;
      const to = row + x * channels;
      if (sx < 0 || sx >= width) {
        for (let c = 0; c < channels; c++) target[to + c] = 0;
        continue;
      }
      const at = sourceRow + (flipX ? width - 1 - sx : sx) * channels;
      for (let c = 0; c < channels; c++) target[to + c] = source[at + c];
    }
  }
}

/**
 * Each output pixel looks up where it came from (the inverse rotation about the centre, then the flips)
 * and blends its four neighbours; outside the image is black. The source point moves by a fixed step
 * along a row, so it is updated, not recomputed.
 */
function rotateShifted(images: ImagePair, { from, flipX, flipY, dx, dy }: Move, cos: number, sin: number) {
  const { height, width, channels, rowStride } = images;
  const [cx, cy] = [(width - 1) / 2, (height - 1) / 2];
  const signX = flipX ? -1 : 1;
  const signY = flipY ? -1 : 1;
  const stepX = signX * cos;
  const stepY = signY * -sin;
  for (let y = 0; y < height; y++) {
    const uy = y - dy - cy;
    const ux0 = -dx - cx;
    let sx = signX * (cos * ux0 + sin * uy) + cx;
    let sy = signY * (-sin * ux0 + cos * uy) + cy;
    let to = from + y * rowStride;
    for (let x = 0; x < width; x++, sx += stepX, sy += stepY, to += channels) blendPixel(images, from, sx, sy, to);
  }
}

/** The pixel at `to` from the four source pixels around (sx, sy) of the image at `from`, bilinearly; black outside. */
function blendPixel({ source, target, height, width, channels, rowStride }: ImagePair, from: number, sx: number, sy: number, to: number) {
  const x0 = Math.floor(sx);
  const y0 = Math.floor(sy);
  if (x0 < -1 || y0 < -1 || x0 >= width || y0 >= height) {
    for (let c = 0; c < channels; c++) target[to + c] = 0;
    return;
  }
  const fx = sx - x0;
  const fy = sy - y0;
  const w00 = (1 - fx) * (1 - fy);
  const w10 = fx * (1 - fy);
  const w01 = (1 - fx) * fy;
  const w11 = fx * fy;
  const left = x0 >= 0;
  const right = x0 + 1 < width;
  const top = y0 >= 0;
  const bottom = y0 + 1 < height;
  const base = from + y0 * rowStride + x0 * channels;
  for (let c = 0; c < channels; c++) {
    let value = 0;
    if (top && left) value += w00 * source[base + c];
    if (top && right) value += w10 * source[base + channels + c];
    if (bottom && left) value += w01 * source[base + rowStride + c];
    if (bottom && right) value += w11 * source[base + rowStride + channels + c];
    target[to + c] = value + 0.5; // a Uint8Array truncates: + 0.5 rounds
  }
}
