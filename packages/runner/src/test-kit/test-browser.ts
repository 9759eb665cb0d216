import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium, which .ci/run installs; never a browser downloaded by a test tool. */
export const CHROMIUM = '/usr/bin/chromium';

/** Browser tests run wherever Chromium is installed, and must run in CI. */
export const browserMissing = !existsSync(CHROMIUM) && process.env.CI !== 'true';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}
