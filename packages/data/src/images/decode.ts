import { inflateSync } from 'node:zlib';
import { UserError } from '../errors.js';
import { readRegularBytes, whyUnreadable } from '../safe-files.js';
import type { RgbaImage } from '../digit-preprocess.js';

/** Decoded pixels: 8-bit, interleaved (HWC), 1 (grey), 2 (grey+alpha), 3 (RGB) or 4 (RGBA) channels. */
export interface RawImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
}

/** Image files the loaders read; anything else in an image folder is counted and skipped. */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'] as const;
export const isImageFileName = (name: string) => IMAGE_EXTENSIONS.some((extension) => name.toLowerCase().endsWith(extension));

/** Larger image files are refused before reading (a photo is a few MiB). */
export const MAX_IMAGE_FILE_BYTES = 64 * 2 ** 20;
/** Larger images are refused before decoding (a decompression bomb is a small file that claims gigapixels). */
const MAX_IMAGE_PIXELS = 40_000_000;

type FastPng = typeof import('fast-png');
let fastPngModule: FastPng | undefined;
/** fast-png and its inflater, loaded by the first image decoded: a table's or a text's run never pays the 0.05 s. */
async function fastPng(): Promise<FastPng> {
  return (fastPngModule ??= await import('fast-png'));
}

type Sharp = typeof import('sharp').default;
let sharpModule: Sharp | undefined;
async function sharp(): Promise<Sharp> {
  // Loaded on first use: runs on the built-in datasets never pay for libvips.
  if (!sharpModule) {
    sharpModule = (await import('sharp')).default;
    sharpModule.cache(false); // every image is read once: libvips' operation cache only holds memory
  }
  return sharpModule;
}

/** The raw (filtered, uncompressed) size a PNG's header promises, with room for interlacing; undefined for an unknown colour type. */
function promisedPngBytes(bytes: Uint8Array): number | undefined {
  const header = Buffer.from(bytes.buffer, bytes.byteOffset, 29);
  const [width, height, depth, colourType, interlace] = [header.readUInt32BE(16), header.readUInt32BE(20), header[24], header[25], header[28]];
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colourType];
  if (channels === undefined) return undefined;
  const plain = height * (1 + Math.ceil((width * channels * depth) / 8));
  // Adam7's seven passes add a filter byte per row of each pass and a partial byte at each row's end.
  return interlace ? plain + 14 * (height + 8) : plain;
}

/** The concatenated IDAT chunks of a PNG (what inflates to its pixels). */
function pngImageData(bytes: Uint8Array): Buffer {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: Buffer[] = [];
  for (let offset = 8; offset + 8 <= buffer.length; ) {
    const length = buffer.readUInt32BE(offset);
    const type = buffer.toString('latin1', offset + 4, offset + 8);
    if (type === 'IDAT') parts.push(buffer.subarray(offset + 8, Math.min(buffer.length, offset + 8 + length)));
    if (type === 'IEND') break;
    offset += 12 + length;
  }
  return Buffer.concat(parts);
}

/** Whether zlib data inflate to at most `limit` bytes (inflating stops at the limit: a bomb costs nothing); damaged data count as within (the decoder names them). */
function inflatesWithin(data: Buffer, limit: number): boolean {
  try {
    inflateSync(data, { maxOutputLength: Math.max(1, limit) });
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE';
  }
}

/** Reads an image file's bytes, refusing a file too large to be an image; a problem is a UserError naming the file. */
export function readImageBytes(file: string): Uint8Array {
  try {
    // Non-blocking and bounded: a FIFO named like an image, or a huge file, cannot hang or swamp the run.
    return readRegularBytes(file, MAX_IMAGE_FILE_BYTES);
  } catch (error) {
    throw new UserError(`${file}: cannot read the image: ${whyUnreadable(error, MAX_IMAGE_FILE_BYTES, 'an image file')}`);
  }
}

/** Reads and decodes one PNG or JPEG file; a problem is a UserError naming the file. */
export async function readImageFile(file: string): Promise<RawImage> {
  return decodeImage(readImageBytes(file), file);
}

/**
 * Decodes PNG or JPEG bytes in any of their forms (palette, alpha, 16-bit, grey+alpha, interlaced,
 * progressive, CMYK, EXIF-rotated) to 8-bit pixels. Plain 8-bit PNGs go through fast-png, which is about
 * 4× faster than libvips on small images (measured: 55 vs 200 µs for a 28×28 PNG, most of libvips' time
 * is its per-call set-up); everything else through sharp (libvips), which also applies EXIF orientation.
 */
export async function decodeImage(bytes: Uint8Array, file: string): Promise<RawImage> {
  const unreadable = (error: unknown) => new UserError(`${file}: not a readable PNG or JPEG image (${(error as Error).message.split('\n')[0]}); remove or replace the file`);
  // Awaited only once: a folder of 70,000 images decodes each without another turn of the event loop.
  const { decode: decodePng, hasPngSignature } = fastPngModule ?? (await fastPng());
  if (hasPngSignature(bytes)) {
    // A decompression bomb is a small file that claims gigapixels: its size is checked before anything inflates
    // (the IHDR chunk, which must come first, holds the width and height at a fixed place).
    if (bytes.length >= 24) {
      const header = Buffer.from(bytes.buffer, bytes.byteOffset, 24);
      const [width, height] = [header.readUInt32BE(16), header.readUInt32BE(20)];
      if (width * height > MAX_IMAGE_PIXELS) throw tooLarge(file, width, height);
      // A bomb can also claim 28×28 and inflate to gigabytes: its image data may inflate to what the header promises, no more.
      const promised = bytes.length >= 29 ? promisedPngBytes(bytes) : undefined;
      if (promised !== undefined && !inflatesWithin(pngImageData(bytes), promised)) {
        throw new UserError(`${file}: its compressed pixels inflate to more than the ${width}×${height} image its header declares (${promised} bytes): a damaged file or a decompression bomb; remove or replace it`);
      }
    }
    let png: ReturnType<FastPng['decode']>;
    try {
      png = decodePng(bytes, { checkCrc: true });
    } catch (error) {
      throw unreadable(error);
    }
    if (png.width * png.height > MAX_IMAGE_PIXELS) throw tooLarge(file, png.width, png.height);
    if (png.depth === 8 && !png.palette && png.data instanceof Uint8Array) {
      return { data: png.data, width: png.width, height: png.height, channels: png.channels };
    }
  }
  try {
    const library = await sharp();
    const { data, info } = await library(bytes, { failOn: 'warning', limitInputPixels: MAX_IMAGE_PIXELS })
      .rotate() // EXIF orientation
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: info.channels };
  } catch (error) {
    if (/pixel limit/i.test((error as Error).message)) throw new UserError(`${file}: the image has more than ${MAX_IMAGE_PIXELS.toLocaleString('en-US')} pixels, more than an image to train on should have`);
    throw unreadable(error);
  }
}

const tooLarge = (file: string, width: number, height: number) =>
  new UserError(`${file}: the image is ${width}×${height}, more than the ${MAX_IMAGE_PIXELS.toLocaleString('en-US')} pixels an image to train on may have`);

/**
 * The image with `channels` channels (1 grey or 3 RGB), as PIL's `convert('L' | 'RGB')` does it, which is
 * what torchvision's ImageFolder users get: alpha is dropped, colour becomes grey by ITU-R 601-2 luma
 * (L = (299 R + 587 G + 114 B) / 1000, truncated), grey is repeated into R, G and B.
 */
export function withChannels(image: RawImage, channels: number): RawImage {
  if (image.channels === channels) return image;
  const pixels = image.width * image.height;
  const out = new Uint8Array(pixels * channels);
  const from = image.data;
  const step = image.channels;
  const colour = step >= 3;
  for (let p = 0; p < pixels; p++) {
    const s = p * step;
    if (channels === 1) {
      out[p] = colour ? Math.floor((from[s] * 299 + from[s + 1] * 587 + from[s + 2] * 114) / 1000) : from[s];
    } else if (colour) {
      out[p * 3] = from[s];
      out[p * 3 + 1] = from[s + 1];
      out[p * 3 + 2] = from[s + 2];
    } else {
      out[p * 3] = out[p * 3 + 1] = out[p * 3 + 2] = from[s];
    }
  }
  return { data: out, width: image.width, height: image.height, channels };
}

/** The image resized to height × width (bilinear, stretching like Keras' image_size), by libvips. */
export async function resized(image: RawImage, height: number, width: number): Promise<RawImage> {
  if (image.height === height && image.width === width) return image;
  const library = await sharp();
  let pipeline = library(image.data, { raw: { width: image.width, height: image.height, channels: image.channels as 1 | 2 | 3 | 4 } }).resize(width, height, { fit: 'fill', kernel: 'linear' });
  // Raw single-channel input would come back as sRGB: say it is grey.
  if (image.channels <= 2) pipeline = pipeline.toColourspace('b-w');
  const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== image.channels) throw new Error(`resizing gave ${info.channels} channels instead of ${image.channels}`);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: info.channels };
}

/** An image's bytes as the model's input: decoded, converted to `channels`, resized to height × width. */
export async function imageAsInput(bytes: Uint8Array, name: string, height: number, width: number, channels: number): Promise<{ pixels: Uint8Array; wasResized: boolean }> {
  const image = withChannels(await decodeImage(bytes, name), channels);
  const wasResized = image.height !== height || image.width !== width;
  return { pixels: (await resized(image, height, width)).data, wasResized };
}

/** An image as RGBA bytes (grey repeated into R, G and B; opaque where it has no alpha): what the digit preprocessing reads. */
export function asRgba(image: RawImage): RgbaImage {
  const pixels = image.width * image.height;
  const data = new Uint8ClampedArray(pixels * 4);
  const step = image.channels;
  const colour = step >= 3;
  for (let p = 0; p < pixels; p++) {
    const s = p * step;
    data[p * 4] = image.data[s];
    data[p * 4 + 1] = image.data[colour ? s + 1 : s];
    data[p * 4 + 2] = image.data[colour ? s + 2 : s];
    data[p * 4 + 3] = step === 2 || step === 4 ? image.data[s + step - 1] : 255;
  }
  return { data, width: image.width, height: image.height };
}
