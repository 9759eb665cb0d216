import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastLine, specml, temporaryFolder } from '../test-kit/test-cli.js';
import { browserMissing, launchChromium } from '../test-kit/test-browser.js';

const work = temporaryFolder('pages');
const runsDir = join(work, 'runs');
const screenshots = join(work, 'screenshots');

const SPEC = `name: NAME
data: { trainLimit: 2000, testLimit: 500 }
model:
  layers:
    - { units: UNITS, activation: relu }
    - { units: 10, activation: softmax }
batchSize: 32
epochs: 2
`;

describe('run reports and the runs index', () => {
  const runDirs: string[] = [];
  beforeAll(() => {
    for (const [name, units] of [['narrow', 8], ['wide', 128]] as const) {
      const spec = join(work, `${name}.yaml`);
      writeFileSync(spec, SPEC.replace('NAME', name).replace('UNITS', String(units)));
      const run = specml(['exp', spec, '--runs-dir', runsDir]);
      expect(run.status).toBe(0);
      runDirs.push(lastLine(run.stdout));
    }
  }, 60_000);

  it('leaves confusion.csv with a header row and a label column, rows summing to the test set', () => {
    const rows = readFileSync(join(runDirs[1], 'confusion.csv'), 'utf8').trim().split('\n').map((row) => row.split(','));
    expect(rows[0]).toEqual(['true_class', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(rows.slice(1).map((row) => row[0])).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(rows.slice(1).flatMap((row) => row.slice(1).map(Number)).reduce((sum, count) => sum + count, 0)).toBe(500);
  });

  it('writes a report.html with the run\'s summary, metrics and pictures', () => {
    const html = readFileSync(join(runDirs[1], 'report.html'), 'utf8');
    for (const picture of ['curves.png', 'confusion.png', 'predictions.png', 'misclassified.png']) expect(html).toContain(`<img src="${picture}"`);
    expect(html).toContain('<td class="status-completed">completed</td>');
    expect(html.match(/<tr><td>\d<\/td><td>(\d|<\/td>)/g)).toHaveLength(3 + 10); // epochs 0, 1, 2, and the ten digits' rows of the per-class table
  });

  describe.skipIf(browserMissing)('index.html in Chromium', () => {
    let browser: Browser;
    afterAll(async () => browser?.close());

    it('lists each run, draws the chart, sorts by a clicked column and links to the reports, without console errors', async () => {
      browser = await launchChromium();
      const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
      await page.goto(pathToFileURL(join(runsDir, 'index.html')).href);

      const names = () => page.locator('#runs tbody tr td:first-child').allTextContents();
      expect((await names()).sort()).toEqual(['narrow', 'wide']);
      expect(await page.locator('#chart svg path').count()).toBeGreaterThan(2);
      const chartBox = (await page.locator('#chart svg').boundingBox())!;
      expect(chartBox.width).toBeGreaterThan(300);

      const accuracyHeader = page.locator('#runs th', { hasText: 'final test acc' });
      await accuracyHeader.click();
      const ascending = await page.locator('#runs tbody tr td:nth-child(9)').allTextContents();
      expect(ascending.map(Number)).toEqual([...ascending.map(Number)].sort((a, b) => a - b));
      await accuracyHeader.click();
      const descending = await page.locator('#runs tbody tr td:nth-child(9)').allTextContents();
      expect(descending).toEqual([...ascending].reverse());
      expect(await names()).toEqual(['wide', 'narrow']); // the wider net is the more accurate

      mkdirSync(screenshots, { recursive: true });
      await page.screenshot({ path: join(screenshots, 'runs-index.png'), fullPage: true });
      await page.locator('#runs tbody tr').first().locator('a').click();
      await page.waitForLoadState('load');
      expect(await page.title()).toMatch(/^wide \/ \S+$/);
      expect(await page.locator('img').count()).toBe(4);
      expect(await page.locator('img').evaluateAll((images) => images.every((image) => (image as HTMLImageElement).naturalWidth > 100))).toBe(true);
      await page.screenshot({ path: join(screenshots, 'run-report.png'), fullPage: true });
      expect(errors).toEqual([]);
    });
  });
});
