import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeIdx } from './idx.js';

/**
 * Writes a tiny IDX dataset folder (train and t10k files) for tests: image i of a set is filled with the
 * value `(i * 37) % 256` and labelled `i % classCount`.
 */
export function writeTinyIdxFolder(options: {
  trainCount?: number;
  testCount?: number;
  side?: number;
  classCount?: number;
  gzip?: boolean;
} = {}): string {
  const { trainCount = 12, testCount = 6, side = 4, classCount = 3, gzip = false } = options;
  const folder = mkdtempSync(join(tmpdir(), 'specml-idx-'));
  const write = (name: string, dims: number[], data: Uint8Array) => {
    const bytes = encodeIdx(dims, data);
    writeFileSync(join(folder, gzip ? `${name}.gz` : name), gzip ? gzipSync(bytes) : bytes);
  };
  for (const [prefix, count] of [['train', trainCount], ['t10k', testCount]] as const) {
    const images = new Uint8Array(count * side * side);
    for (let i = 0; i < count; i++) images.fill((i * 37) % 256, i * side * side, (i + 1) * side * side);
    const labels = Uint8Array.from({ length: count }, (_, i) => i % classCount);
    write(`${prefix}-images-idx3-ubyte`, [count, side, side], images);
    write(`${prefix}-labels-idx1-ubyte`, [count], labels);
  }
  return folder;
}

/** One image of a fixture folder: a flat colour (or grey level) with a bright square whose place tells the class apart. */
export interface FixtureImage {
  readonly file: string;
  readonly width: number;
  readonly height: number;
  /** [r, g, b] of the background; one number for a grey image. */
  readonly colour: readonly [number, number, number] | number;
  /** Where the bright square is: the class's signal. */
  readonly corner: 'left' | 'right';
}

/** Writes image files (PNG or JPEG by their extension) under `root`, e.g. `train/cat/1.png`. */
export async function writeImages(root: string, images: readonly FixtureImage[]): Promise<void> {
  const { default: sharp } = await import('sharp');
  for (const image of images) {
    const grey = typeof image.colour === 'number';
    const channels = grey ? 1 : 3;
    const pixels = Buffer.alloc(image.width * image.height * channels);
    for (let y = 0; y < image.height; y++) {
      for (let x = 0; x < image.width; x++) {
        const inSquare = y < image.height / 2 && (image.corner === 'left' ? x < image.width / 2 : x >= image.width / 2);
        const colour: readonly number[] = grey ? [image.colour as number] : (image.colour as readonly number[]);
        pixels.set(inSquare ? colour.map(() => 250) : colour, (y * image.width + x) * channels);
      }
    }
    let pipeline = sharp(pixels, { raw: { width: image.width, height: image.height, channels } });
    if (grey) pipeline = pipeline.toColourspace('b-w');
    const bytes = image.file.endsWith('.png') ? await pipeline.png().toBuffer() : await pipeline.jpeg({ quality: 95 }).toBuffer();
    mkdirSync(dirname(join(root, image.file)), { recursive: true });
    writeFileSync(join(root, image.file), bytes);
  }
}

/**
 * A small two-class image folder of mixed forms (colour and grey, PNG and JPEG, two sizes): class `left`
 * has its bright square top left, class `right` top right. `perClass` images of each class under
 * `<root>/<split>/<class>/`.
 */
export async function writeTwoClassImageFolder(root: string, split: string, perClass: number, firstSize = 12): Promise<void> {
  const images: FixtureImage[] = [];
  for (const corner of ['left', 'right'] as const) {
    for (let i = 0; i < perClass; i++) {
      const size = i % 3 === 2 ? firstSize * 2 : firstSize;
      const colour: FixtureImage['colour'] = i % 4 === 3 ? 40 + i : [30 + i, 80, 120 - i];
      images.push({ file: `${split}/${corner}/${String(i).padStart(3, '0')}.${i % 2 ? 'jpg' : 'png'}`, width: size, height: size, colour, corner });
    }
  }
  await writeImages(root, images);
}
