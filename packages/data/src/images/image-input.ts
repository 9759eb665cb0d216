import { UserError } from '../errors.js';
import { toMnistInput } from '../digit-preprocess.js';
import { asRgba, decodeImage, imageAsInput } from './decode.js';

/**
 * One image (its file's bytes; `name` for messages) as a model's input: digit-style preprocessing for
 * digit datasets, else decoded, converted and resized as training did. `predict` and `serve` use it.
 */
export async function imageInput(bytes: Uint8Array, name: string, inputShape: readonly number[], digitStyle: boolean, warnings: string[]): Promise<Float32Array> {
  if (inputShape.length !== 3) throw new UserError(`${name}: this run's model reads table rows, not images (give a CSV file)`);
  const [height, width, channels] = inputShape;
  if (!digitStyle) {
    const { pixels } = await imageAsInput(bytes, name, height, width, channels);
    return Float32Array.from(pixels, (value) => value / 255);
  }
  const ink = toMnistInput(asRgba(await decodeImage(bytes, name)), { height, width });
  if (!ink.some((value) => value > 0)) warnings.push(`${name}: no ink found (a blank or uniform picture): its prediction means nothing`);
  // Grey images: the same ink in every channel of a model trained on several.
  const values = new Float32Array(height * width * channels);
  ink.forEach((value, p) => values.fill(value, p * channels, (p + 1) * channels));
  return values;
}
