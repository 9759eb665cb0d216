import { describe, expect, it } from 'vitest';
import { toMnistInput, type RgbaImage } from './digit-preprocess.js';

/** A width × height picture of paper with an ink rectangle at [x0, x1) × [y0, y1). */
function picture(width: number, height: number, box: [number, number, number, number], ink: number[], paper: number[]): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inside = x >= box[0] && x < box[1] && y >= box[2] && y < box[3];
      data.set([...(inside ? ink : paper), 255], 4 * (y * width + x));
    }
  }
  return { data, width, height };
}

const extent = (pixels: Float32Array) => {
  const rows: number[] = [];
  const columns: number[] = [];
  pixels.forEach((value, index) => {
    if (value > 0.5) {
      rows.push(Math.floor(index / 28));
      columns.push(index % 28);
    }
  });
  return { top: Math.min(...rows), bottom: Math.max(...rows), left: Math.min(...columns), right: Math.max(...columns) };
};

describe('toMnistInput', () => {
  it('gives zeros for a blank picture', () => {
    expect(Array.from(toMnistInput(picture(50, 50, [0, 0, 0, 0], [0, 0, 0], [255, 255, 255]))).every((v) => v === 0)).toBe(true);
  });

  it('crops, fits the longer side to 20 pixels and centres the ink', () => {
    // A tall bar 40 × 200 in the top-left corner of a 600 × 400 photo, dark on light.
    const input = toMnistInput(picture(600, 400, [10, 50, 5, 205], [20, 20, 20], [250, 250, 250]));
    const { top, bottom, left, right } = extent(input);
    expect(bottom - top + 1).toBe(20);
    expect(right - left + 1).toBe(4);
    expect((top + bottom + 1) / 2).toBeCloseTo(14, 0);
    expect((left + right + 1) / 2).toBeCloseTo(14, 0);
  });

  it('gives the same input whatever the polarity and colours', () => {
    const darkOnLight = toMnistInput(picture(100, 100, [30, 60, 20, 80], [0, 0, 0], [255, 255, 255]));
    const lightOnDark = toMnistInput(picture(100, 100, [30, 60, 20, 80], [255, 255, 255], [0, 0, 0]));
    const blueOnYellow = toMnistInput(picture(100, 100, [30, 60, 20, 80], [30, 60, 190], [255, 230, 128]));
    expect(Array.from(lightOnDark)).toEqual(Array.from(darkOnLight));
    for (let i = 0; i < 784; i++) expect(blueOnYellow[i]).toBeCloseTo(darkOnLight[i], 5);
  });
});
