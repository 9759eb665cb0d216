// Turns any picture of a digit into an MNIST-style 28×28 input, as MNIST itself was made: ink cropped to its
// bounding box, scaled to fit 20×20 keeping its aspect ratio (anti-aliased), then placed in 28×28 so that
// its centre of mass is at the centre. Pure typed-array code with no imports: `predict` runs it in Node and
// the draw page loads this very file in the browser.

export interface RgbaImage {
  readonly data: ArrayLike<number>; // RGBA bytes, row-major
  readonly width: number;
  readonly height: number;
}

export const MNIST_SIDE = 28;
const FIT_SIDE = 20;
/** Ink below this (0–1) counts as background when finding the digit's bounding box. */
const INK_THRESHOLD = 0.2;

/** Ink per pixel in [0, 1], light-on-dark like MNIST, whatever the picture's polarity, colours or alpha. */
export function inkOf(image: RgbaImage): Float32Array {
  const { data, width, height } = image;
  const gray = new Float32Array(width * height);
  for (let i = 0; i < gray.length; i++) {
    const alpha = data[4 * i + 3] / 255;
    const luminance = (0.299 * data[4 * i] + 0.587 * data[4 * i + 1] + 0.114 * data[4 * i + 2]) / 255;
    gray[i] = alpha * luminance + (1 - alpha); // transparent pixels are paper: white
  }
  // The border is background: if it is light, the ink is dark, so invert.
  let border = 0;
  let count = 0;
  for (let x = 0; x < width; x++) {
    border += gray[x] + gray[(height - 1) * width + x];
    count += 2;
  }
  for (let y = 0; y < height; y++) {
    border += gray[y * width] + gray[y * width + width - 1];
    count += 2;
  }
  const lightBackground = border / count > 0.5;
  let low = Infinity;
  let high = -Infinity;
  for (let i = 0; i < gray.length; i++) {
    const ink = lightBackground ? 1 - gray[i] : gray[i];
    gray[i] = ink;
    low = Math.min(low, ink);
    high = Math.max(high, ink);
  }
  // Stretch to the full range, so that grey pencil on grey paper looks like MNIST's white on black.
  const range = high - low;
  for (let i = 0; i < gray.length; i++) gray[i] = range > 1e-6 ? (gray[i] - low) / range : 0;
  return gray;
}

/**
 * The MNIST-style input: height × width floats in [0, 1] (28 × 28 by default; a model trained on other
 * images gets its own size, the digit fitted in the same 20/28 of it). A blank picture gives all zeros.
 */
export function toMnistInput(image: RgbaImage, size: { height: number; width: number } = { height: MNIST_SIDE, width: MNIST_SIDE }): Float32Array {
  const ink = inkOf(image);
  const { width, height } = image;
  let left = width;
  let right = -1;
  let top = height;
  let bottom = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] > INK_THRESHOLD) {
        left = Math.min(left, x);
        right = Math.max(right, x);
        top = Math.min(top, y);
        bottom = Math.max(bottom, y);
      }
    }
  }
  const out = new Float32Array(size.height * size.width);
  if (right < 0) return out;
  const boxWidth = right - left + 1;
  const boxHeight = bottom - top + 1;
  const fitSide = Math.max(1, Math.round((FIT_SIDE / MNIST_SIDE) * Math.min(size.height, size.width)));
  const scale = fitSide / Math.max(boxWidth, boxHeight);
  const fitWidth = Math.max(1, Math.round(boxWidth * scale));
  const fitHeight = Math.max(1, Math.round(boxHeight * scale));
  const fitted = resampleArea(ink, width, left, top, boxWidth, boxHeight, fitWidth, fitHeight);

  let mass = 0;
  let sumX = 0;
  let sumY = 0;
  for (let y = 0; y < fitHeight; y++) {
    for (let x = 0; x < fitWidth; x++) {
      const value = fitted[y * fitWidth + x];
      mass += value;
      sumX += value * (x + 0.5);
      sumY += value * (y + 0.5);
    }
  }
  const offsetX = clamp(Math.round(size.width / 2 - sumX / mass), 0, size.width - fitWidth);
  const offsetY = clamp(Math.round(size.height / 2 - sumY / mass), 0, size.height - fitHeight);
  for (let y = 0; y < fitHeight; y++) {
    for (let x = 0; x < fitWidth; x++) out[(y + offsetY) * size.width + x + offsetX] = Math.min(1, fitted[y * fitWidth + x]);
  }
  return out;
}

/** Area-averaging resample of a box of `source` (row stride `stride`) to targetWidth × targetHeight. */
function resampleArea(
  source: Float32Array,
  stride: number,
  left: number,
  top: number,
  width: number,
  height: number,
  targetWidth: number,
  targetHeight: number,
): Float32Array {
  const columns = coverage(width, targetWidth);
  const rows = coverage(height, targetHeight);
  const out = new Float32Array(targetWidth * targetHeight);
  for (let ty = 0; ty < targetHeight; ty++) {
    for (let tx = 0; tx < targetWidth; tx++) {
      let sum = 0;
      let weight = 0;
      for (const [sy, wy] of rows[ty]) {
        for (const [sx, wx] of columns[tx]) {
          sum += source[(top + sy) * stride + left + sx] * wx * wy;
          weight += wx * wy;
        }
      }
      out[ty * targetWidth + tx] = weight > 0 ? sum / weight : 0;
    }
  }
  return out;
}

/** For each target cell, the source cells it covers and by how much (1D). */
function coverage(sourceSize: number, targetSize: number): Array<Array<[number, number]>> {
  const step = sourceSize / targetSize;
  return Array.from({ length: targetSize }, (_, t) => {
    const start = t * step;
    const end = start + step;
    const cells: Array<[number, number]> = [];
    for (let s = Math.floor(start); s < Math.min(sourceSize, Math.ceil(end)); s++) {
      const overlap = Math.min(end, s + 1) - Math.max(start, s);
      if (overlap > 0) cells.push([s, overlap]);
    }
    return cells;
  });
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
