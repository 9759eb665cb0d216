import { mkdtempSync, writeFileSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { asRgba, decodeImage, readImageFile, resized, withChannels, type RawImage } from './decode.js';

// 8×6 pixels: the left half red, the right half blue (a JPEG keeps such large flat areas within a few levels).
const WIDTH = 8;
const HEIGHT = 6;
const rgb = Buffer.alloc(WIDTH * HEIGHT * 3);
for (let p = 0; p < WIDTH * HEIGHT; p++) rgb.set(p % WIDTH < WIDTH / 2 ? [230, 20, 20] : [20, 20, 230], p * 3);
const raw = (channels: 1 | 2 | 3 | 4, data: Buffer) => sharp(data, { raw: { width: WIDTH, height: HEIGHT, channels } });
const withAlpha = Buffer.alloc(WIDTH * HEIGHT * 4);
for (let p = 0; p < WIDTH * HEIGHT; p++) withAlpha.set([...rgb.subarray(p * 3, p * 3 + 3), 128], p * 4);

/** Every form of PNG and JPEG found in the wild, written by libvips. */
const FORMS: Record<string, () => Promise<Buffer>> = {
  'RGB PNG': () => raw(3, rgb).png().toBuffer(),
  'RGBA PNG': () => raw(4, withAlpha).png().toBuffer(),
  'palette PNG': () => raw(3, rgb).png({ palette: true, colours: 4, dither: 0 }).toBuffer(),
  '16-bit PNG': () => raw(3, rgb).toColourspace('rgb16').png().toBuffer(),
  'interlaced PNG': () => raw(3, rgb).png({ progressive: true }).toBuffer(),
  'baseline JPEG': () => raw(3, rgb).jpeg({ quality: 95 }).toBuffer(),
  'progressive JPEG': () => raw(3, rgb).jpeg({ quality: 95, progressive: true }).toBuffer(),
  'CMYK JPEG': () => raw(3, rgb).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer(),
};

const pixel = (image: RawImage, x: number, y: number) => Array.from(image.data.subarray((y * image.width + x) * image.channels, (y * image.width + x) * image.channels + Math.min(3, image.channels)));

describe('decoding images', () => {
  for (const [form, write] of Object.entries(FORMS)) {
    it(`decodes a ${form} to 8-bit RGB of the right size and colours`, async () => {
      const image = withChannels(await decodeImage(await write(), form), 3);
      expect([image.width, image.height, image.channels]).toEqual([WIDTH, HEIGHT, 3]);
      for (const [x, expected] of [[1, [230, 20, 20]], [6, [20, 20, 230]]] as const) {
        const got = pixel(image, x, 3);
        // CMYK without an ICC profile goes through libvips' default profile both ways: the hue survives, not the exact values.
        if (form.includes('CMYK')) expect(got.indexOf(Math.max(...got)), `${form} pixel ${x}`).toBe(expected.indexOf(230));
        else got.forEach((value, c) => expect(Math.abs(value - expected[c]), `${form} pixel ${x} channel ${c}`).toBeLessThanOrEqual(12));
      }
    });
  }

  it('decodes grey and grey+alpha PNGs, and makes grey of colour by ITU-R 601-2 luma (as PIL)', async () => {
    const grey = Buffer.alloc(WIDTH * HEIGHT, 77);
    expect(pixel(await decodeImage(await raw(1, grey).toColourspace('b-w').png().toBuffer(), 'grey'), 0, 0)).toEqual([77]);
    const greyAlpha = Buffer.alloc(WIDTH * HEIGHT * 2);
    for (let p = 0; p < WIDTH * HEIGHT; p++) greyAlpha.set([77, 10], p * 2);
    const decoded = await decodeImage(await raw(2, greyAlpha).toColourspace('b-w').png().toBuffer(), 'grey+alpha');
    expect(decoded.channels).toBe(2);
    expect(withChannels(decoded, 1).data[0]).toBe(77); // alpha dropped, as PIL's convert('L')
    expect(withChannels(decoded, 3).data.subarray(0, 3)).toEqual(Uint8Array.of(77, 77, 77));
    const colour = await decodeImage(await raw(3, rgb).png().toBuffer(), 'rgb');
    expect(withChannels(colour, 1).data[0]).toBe(Math.floor((230 * 299 + 20 * 587 + 20 * 114) / 1000));
  });

  it('turns an EXIF-rotated JPEG upright', async () => {
    const upright = await decodeImage(await raw(3, rgb).withMetadata({ orientation: 6 }).jpeg({ quality: 95 }).toBuffer(), 'rotated');
    // Orientation 6: the camera was turned 90°; the picture is 6 wide and 8 high, red on top.
    expect([upright.width, upright.height]).toEqual([HEIGHT, WIDTH]);
    expect(pixel(upright, 2, 1)[0]).toBeGreaterThan(200);
    expect(pixel(upright, 2, 6)[2]).toBeGreaterThan(200);
  });

  it('refuses a PNG whose pixels inflate beyond the size its header declares (a decompression bomb), before inflating it', async () => {
    const chunk = (type: string, data: Buffer) => {
      const length = Buffer.alloc(4);
      length.writeUInt32BE(data.length);
      const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(crc32(body));
      return Buffer.concat([length, body, crc]);
    };
    const header = Buffer.alloc(13);
    header.writeUInt32BE(28, 0);
    header.writeUInt32BE(28, 4);
    header.set([8, 0, 0, 0, 0], 8); // 8-bit grey, not interlaced
    // 28×28 grey promises 28 × 29 bytes; these 256 MiB of zeros compress to about 256 KiB.
    const bomb = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(Buffer.alloc(256 * 2 ** 20), { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
    expect(bomb.length).toBeLessThan(2 ** 20);
    const before = process.memoryUsage().rss;
    await expect(decodeImage(bomb, 'bomb.png')).rejects.toThrow('bomb.png: its compressed pixels inflate to more than the 28×28 image its header declares (812 bytes): a damaged file or a decompression bomb; remove or replace it');
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 2 ** 20);
    // The same header with the pixels it promises decodes.
    const honest = Buffer.concat([bomb.subarray(0, 33), chunk('IDAT', deflateSync(Buffer.alloc(28 * 29))), chunk('IEND', Buffer.alloc(0))]);
    expect((await decodeImage(honest, 'honest.png')).width).toBe(28);
  });

  it('names the file of a corrupt, truncated or unknown image', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'specml-images-'));
    const png = await raw(3, rgb).png().toBuffer();
    const jpeg = await raw(3, rgb).jpeg().toBuffer();
    const cases: Record<string, Buffer> = {
      'truncated.png': png.subarray(0, png.length - 20),
      'truncated.jpg': jpeg.subarray(0, jpeg.length / 2),
      'text.jpg': Buffer.from('not an image at all'),
      'crc.png': Buffer.from(png).fill(0, 40, 44),
    };
    for (const [name, bytes] of Object.entries(cases)) {
      writeFileSync(join(folder, name), bytes);
      await expect(readImageFile(join(folder, name)), name).rejects.toThrow(new RegExp(`^${join(folder, name).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not a readable PNG or JPEG image \\(.+\\); remove or replace the file$`));
    }
    await expect(readImageFile(join(folder, 'missing.png'))).rejects.toThrow(`${join(folder, 'missing.png')}: cannot read the image: no such file`);
    // A PNG that claims 50,000 × 50,000 pixels is refused before anything is inflated.
    const bomb = Buffer.from(png);
    bomb.writeUInt32BE(50_000, 16);
    bomb.writeUInt32BE(50_000, 20);
    await expect(decodeImage(bomb, 'bomb.png')).rejects.toThrow('bomb.png: the image is 50000×50000, more than the 40,000,000 pixels an image to train on may have');
  });

  it('resizes bilinearly to any size and reads any image as opaque RGBA for the digit preprocessing', async () => {
    const image = withChannels(await decodeImage(await raw(3, rgb).png().toBuffer(), 'rgb'), 3);
    const larger = await resized(image, 12, 16);
    expect([larger.width, larger.height, larger.channels]).toEqual([16, 12, 3]);
    expect(pixel(larger, 0, 0)).toEqual([230, 20, 20]);
    expect(pixel(larger, 15, 11)).toEqual([20, 20, 230]);
    const folder = mkdtempSync(join(tmpdir(), 'specml-images-'));
    writeFileSync(join(folder, 'grey.png'), await raw(1, Buffer.alloc(WIDTH * HEIGHT, 9)).toColourspace('b-w').png().toBuffer());
    const rgba = asRgba(await readImageFile(join(folder, 'grey.png')));
    expect(Array.from(rgba.data).slice(0, 4)).toEqual([9, 9, 9, 255]);
  });
});
