import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { GlobalFonts } from '@napi-rs/canvas';

/** The family name every picture uses. A fresh machine has no system fonts, so it comes from npm. */
export const FONT_FAMILY = 'DejaVu Sans';

let registered = false;

/** Registers DejaVu Sans (regular and bold) from the dejavu-fonts-ttf package, once. */
export function registerFonts(): void {
  if (registered) return;
  const require = createRequire(import.meta.url);
  const folder = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
  for (const file of ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf']) {
    if (!GlobalFonts.registerFromPath(join(folder, file), FONT_FAMILY)) {
      throw new Error(`could not register the font ${join(folder, file)}`);
    }
  }
  registered = true;
}
