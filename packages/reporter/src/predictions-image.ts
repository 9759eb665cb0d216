import { createCanvas, type SKRSContext2D } from '@napi-rs/canvas';
import { FONT_FAMILY, registerFonts } from './fonts.js';

export interface PredictionGridInput {
  /** Raw bytes of the images, one after another. */
  readonly images: Uint8Array;
  /** [height, width, channels] */
  readonly imageShape: readonly number[];
  /** True and predicted class of every image. */
  readonly labels: ArrayLike<number>;
  readonly predicted: ArrayLike<number>;
  readonly classNames: readonly string[];
  /** Which images to show, in order. */
  readonly indices: readonly number[];
  readonly title: string;
  readonly columns?: number;
  /** The predicted class's probability for every image: shown in the caption when given. */
  readonly confidences?: ArrayLike<number>;
}

const SCALE = 4;
const CAPTION_HEIGHT = 34;
const PADDING = 10;
const TITLE_HEIGHT = 40;
const WRONG = '#d62728';
const RIGHT = '#1a1a1a';

/**
 * A grid of images, each captioned with the predicted class (and its probability, when given) and the true
 * class; wrong predictions get a red frame and a red caption. Returns PNG bytes.
 */
export function renderPredictionGrid(input: PredictionGridInput): Buffer {
  registerFonts();
  const [height, width] = input.imageShape;
  const count = input.indices.length;
  const columns = input.columns ?? Math.max(1, Math.min(8, count));
  const rows = Math.max(1, Math.ceil(count / columns));
  const cellWidth = Math.max(width * SCALE, input.confidences ? 150 : 120) + PADDING;
  const cellHeight = height * SCALE + CAPTION_HEIGHT + PADDING;
  const canvas = createCanvas(columns * cellWidth + PADDING, TITLE_HEIGHT + rows * cellHeight + PADDING);
  const context = canvas.getContext('2d');
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.fillStyle = RIGHT;
  context.font = `bold 18px "${FONT_FAMILY}"`;
  context.textBaseline = 'middle';
  context.fillText(input.title, PADDING, TITLE_HEIGHT / 2);

  input.indices.forEach((image, cell) => {
    const left = PADDING + (cell % columns) * cellWidth;
    const top = TITLE_HEIGHT + Math.floor(cell / columns) * cellHeight;
    const imageLeft = left + (cellWidth - PADDING - width * SCALE) / 2;
    drawDigit(context, input.images, image, width, height, imageLeft, top);
    const wrong = input.predicted[image] !== input.labels[image];
    if (wrong) {
      context.strokeStyle = WRONG;
      context.lineWidth = 3;
      context.strokeRect(imageLeft - 1.5, top - 1.5, width * SCALE + 3, height * SCALE + 3);
    }
    context.fillStyle = wrong ? WRONG : RIGHT;
    context.font = `${wrong ? 'bold ' : ''}13px "${FONT_FAMILY}"`;
    context.textAlign = 'center';
    const centre = left + (cellWidth - PADDING) / 2;
    const confidence = input.confidences ? ` (${input.confidences[image].toFixed(2)})` : '';
    context.fillText(`predicted ${input.classNames[input.predicted[image]]}${confidence}`, centre, top + height * SCALE + 11);
    context.fillText(`${wrong ? '✗ ' : ''}true ${input.classNames[input.labels[image]]}`, centre, top + height * SCALE + 27);
    context.textAlign = 'left';
  });
  return canvas.toBuffer('image/png');
}

/** Draws one grayscale image as ink on paper (MNIST stores ink as high values), scaled up. */
function drawDigit(context: SKRSContext2D, images: Uint8Array, index: number, width: number, height: number, left: number, top: number) {
  const pixels = context.createImageData(width * SCALE, height * SCALE);
  const offset = index * width * height;
  for (let y = 0; y < height * SCALE; y++) {
    for (let x = 0; x < width * SCALE; x++) {
      const shade = 255 - images[offset + Math.floor(y / SCALE) * width + Math.floor(x / SCALE)];
      const target = (y * width * SCALE + x) * 4;
      pixels.data[target] = pixels.data[target + 1] = pixels.data[target + 2] = shade;
      pixels.data[target + 3] = 255;
    }
  }
  context.putImageData(pixels, left, top);
}
