import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { GlobalFonts } from '@napi-rs/canvas';

/** The family name every picture uses. A fresh machine has no system fonts, so it comes from npm. */
export const FONT_FAMILY = 'DejaVu Sans';

let registered = false;

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
    if (!GlobalFonts.registerFromPath(file, FONT_FAMILY)) throw new Error(`could not register the font ${file}`);
  }
  registered = true;
}
