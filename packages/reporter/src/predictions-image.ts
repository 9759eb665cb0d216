import type { SKRSContext2D } from '@napi-rs/canvas';
import { FONT_FAMILY, napiCanvas, registerFonts } from './fonts.js';

export interface PredictionGridInput {
  /** Raw bytes of the images (HWC), one after another. */
  readonly images: Uint8Array;
  /** [height, width, channels]: 1 channel is drawn grey, 3 in colour. */
  readonly inputShape: readonly number[];
  /** Grey images whose high values are ink (MNIST's digits): drawn dark on white paper. */
  readonly inkOnPaper?: boolean;
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

/** Each image is drawn about this many pixels across (28×28 digits 4× larger, large photos at their size). */
const DRAWN_SIDE = 112;
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
  const [height, width] = input.inputShape;
  const scale = Math.max(1, Math.round(DRAWN_SIDE / Math.max(height, width)));
  const count = input.indices.length;
  const columns = input.columns ?? Math.max(1, Math.min(8, count));
  const rows = Math.max(1, Math.ceil(count / columns));
  const cellWidth = Math.max(width * scale, input.confidences ? 150 : 120) + PADDING;
  const cellHeight = height * scale + CAPTION_HEIGHT + PADDING;
  const canvas = napiCanvas().createCanvas(columns * cellWidth + PADDING, TITLE_HEIGHT + rows * cellHeight + PADDING);
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
    const imageLeft = left + (cellWidth - PADDING - width * scale) / 2;
    drawImage(context, input, image, scale, imageLeft, top);
    const wrong = input.predicted[image] !== input.labels[image];
    if (wrong) {
      context.strokeStyle = WRONG;
      context.lineWidth = 3;
      context.strokeRect(imageLeft - 1.5, top - 1.5, width * scale + 3, height * scale + 3);
    }
    context.fillStyle = wrong ? WRONG : RIGHT;
    context.font = `${wrong ? 'bold ' : ''}13px "${FONT_FAMILY}"`;
    context.textAlign = 'center';
    const centre = left + (cellWidth - PADDING) / 2;
    const confidence = input.confidences ? ` (${input.confidences[image].toFixed(2)})` : '';
    context.fillText(`predicted ${input.classNames[input.predicted[image]]}${confidence}`, centre, top + height * scale + 11);
    context.fillText(`${wrong ? '✗ ' : ''}true ${input.classNames[input.labels[image]]}`, centre, top + height * scale + 27);
    context.textAlign = 'left';
  });
  return canvas.toBuffer('image/png');
}

/** Draws one image scaled up: colour as it is, grey as it is or (digits) as ink on paper. */
function drawImage(context: SKRSContext2D, input: PredictionGridInput, index: number, scale: number, left: number, top: number) {
  const [height, width, channels = 1] = input.inputShape;
  const pixels = context.createImageData(width * scale, height * scale);
  const offset = index * width * height * channels;
  for (let y = 0; y < height * scale; y++) {
    for (let x = 0; x < width * scale; x++) {
      const source = offset + (Math.floor(y / scale) * width + Math.floor(x / scale)) * channels;
      const target = (y * width * scale + x) * 4;
      for (let c = 0; c < 3; c++) {
        const value = input.images[source + (channels === 3 ? c : 0)];
        pixels.data[target + c] = input.inkOnPaper ? 255 - value : value;
      }
      pixels.data[target + 3] = 255;
    }
  }
  context.putImageData(pixels, left, top);
}
