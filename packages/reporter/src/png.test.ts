import { createCanvas, loadImage } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';
import { rasterise } from './chart-drawing.js';
import { lineChartSpec, renderVegaLiteSvg } from './charts.js';
import { encodePng } from './png.js';

/** A PNG's pixels as another decoder (Skia's) reads them. */
async function decoded(png: Buffer): Promise<{ width: number; height: number; pixels: Uint8ClampedArray }> {
  const image = await loadImage(png);
  const canvas = createCanvas(image.width, image.height);
  canvas.getContext('2d').drawImage(image, 0, 0);
  return { width: image.width, height: image.height, pixels: canvas.getContext('2d').getImageData(0, 0, image.width, image.height).data };
}

describe('PNG files', () => {
  it('hold exactly the pixels given, row by row', async () => {
    const [width, height] = [3, 2];
    const pixels = Uint8Array.from({ length: width * height * 4 }, (_, index) => (index % 4 === 3 ? 255 : (index * 37) % 256));
    const read = await decoded(await encodePng(pixels, width, height));
    expect([read.width, read.height]).toEqual([width, height]);
    expect([...read.pixels]).toEqual([...pixels]);
  });

  it('hold a chart as resvg draws it: its own PNG encoder gives the same pixels', async () => {
    const svg = await renderVegaLiteSvg(lineChartSpec({ title: 'loss', xTitle: 'epoch', yTitle: 'loss', series: [{ name: 'train', points: [{ x: 0, y: 2 }, { x: 1, y: 1.2 }, { x: 2, y: 0.7 }] }] }));
    const image = await rasterise(svg, 2);
    const [ours, resvgs] = await Promise.all([decoded(await encodePng(image.pixels, image.width, image.height)), decoded(image.asPng())]);
    expect([ours.width, ours.height]).toEqual([resvgs.width, resvgs.height]);
    expect(Buffer.from(ours.pixels).equals(Buffer.from(resvgs.pixels))).toBe(true);
    expect(new Set(ours.pixels).size).toBeGreaterThan(10);
  });

  it('refuse pixels that are not width × height RGBA', async () => {
    await expect(encodePng(new Uint8Array(10), 2, 2)).rejects.toThrow('10 bytes are not 2 × 2 RGBA pixels');
    await expect(encodePng(new Uint8Array(0), 0, 0)).rejects.toThrow('0 bytes are not 0 × 0 RGBA pixels');
  });
});
