import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The family name every picture uses. A fresh machine has no system fonts, so it comes from npm. */
export const FONT_FAMILY = 'DejaVu Sans';

let registered = false;
let canvasModule: typeof import('@napi-rs/canvas') | undefined;

/**
 * @napi-rs/canvas, loaded on the first picture drawn with it (about 0.15 s of start-up that every command
 * paid, though only image runs draw with it). Synchronous, so that drawing stays synchronous.
 */
export function napiCanvas(): typeof import('@napi-rs/canvas') {
  return (canvasModule ??= createRequire(import.meta.url)('@napi-rs/canvas') as typeof import('@napi-rs/canvas'));
}

/** DejaVu Sans regular and bold, from the dejavu-fonts-ttf package. */
export function fontFiles(): string[] {
  const require = createRequire(import.meta.url);
  const folder = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
  return ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((file) => join(folder, file));
}

/** Registers the fonts with @napi-rs/canvas, once. */
export function registerFonts(): void {
  if (registered) return;
  for (const file of fontFiles()) {
    if (!napiCanvas().GlobalFonts.registerFromPath(file, FONT_FAMILY)) throw new Error(`could not register the font ${file}`);
  }
  registered = true;
}
