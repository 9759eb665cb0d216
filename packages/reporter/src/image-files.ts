import { readFileSync } from 'node:fs';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { describeFsError, UserError, type RgbaImage } from '@specml/data';

/** The largest picture `predict` accepts, in pixels: decoding costs 4 bytes a pixel. */
const MAX_PIXELS = 40_000_000;

/** Decodes a PNG or JPEG file (any size, grey or colour) into RGBA pixels; a bad file is a UserError naming it. */
export async function readImageFile(path: string): Promise<RgbaImage> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new UserError(`${path}: cannot read the image: ${describeFsError(error)}`);
  }
  let image: Awaited<ReturnType<typeof loadImage>>;
  try {
    image = await loadImage(bytes);
  } catch {
    throw new UserError(`${path}: not a PNG or JPEG image that can be decoded`);
  }
  if (image.width * image.height > MAX_PIXELS || image.width === 0 || image.height === 0) {
    throw new UserError(`${path}: the image is ${image.width}×${image.height} pixels; expected between 1 and ${MAX_PIXELS.toLocaleString('en-US')}`);
  }
  const canvas = createCanvas(image.width, image.height);
  const context = canvas.getContext('2d');
  context.drawImage(image, 0, 0);
  const { data } = context.getImageData(0, 0, image.width, image.height);
  return { data, width: image.width, height: image.height };
}
