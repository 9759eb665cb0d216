import { createCanvas, loadImage } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';
import { FONT_FAMILY, registerFonts } from './fonts.js';
import { renderPredictionGrid } from './predictions-image.js';

describe('prediction grid', () => {
  it('has a real font: text measures wider than zero (a missing font fails silently otherwise)', () => {
    registerFonts();
    const context = createCanvas(10, 10).getContext('2d');
    context.font = `13px "${FONT_FAMILY}"`;
    expect(context.measureText('predicted 7').width).toBeGreaterThan(40);
  });

  it('draws 16 captioned digits and frames the wrong ones in red', async () => {
    const side = 28;
    const images = new Uint8Array(16 * side * side);
    for (let i = 0; i < 16; i++) images.fill(200, i * side * side + 10 * side, i * side * side + 18 * side);
    const labels = Array.from({ length: 16 }, (_, i) => i % 10);
    const predicted = labels.map((label, i) => (i === 3 ? (label + 1) % 10 : label));
    const png = renderPredictionGrid({
      images,
      inputShape: [side, side, 1],
      labels,
      predicted,
      classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      indices: Array.from({ length: 16 }, (_, i) => i),
      columns: 8,
      title: 'test',
      inkOnPaper: true,
    });
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    const image = await loadImage(png);
    const canvas = createCanvas(image.width, image.height);
    const context = canvas.getContext('2d');
    context.drawImage(image, 0, 0);
    const pixels = context.getImageData(0, 0, image.width, image.height).data;
    let red = 0;
    let ink = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      if (pixels[i] > 180 && pixels[i + 1] < 80 && pixels[i + 2] < 80) red++;
      if (pixels[i] < 90 && pixels[i + 1] < 90 && pixels[i + 2] < 90) ink++;
    }
    // One wrong digit: its frame (4 × ~115 px × 3 px) plus its red caption, and nothing else is red.
    expect(red).toBeGreaterThan(1000);
    expect(red).toBeLessThan(3000);
    expect(ink).toBeGreaterThan(16 * 28 * 8 * 16 * 0.9); // the 16 drawn bars of ink, scaled ×4
  });
});
