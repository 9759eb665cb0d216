import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastLine, specml, temporaryFolder } from '../test-kit/test-cli.js';
import { browserMissing, launchChromium } from '../test-kit/test-browser.js';
import { appendMetricsRow, createMetricsCsv, RUN_FILES, writeRunsIndex } from '@specml/reporter';

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

/**
 * Sixteen finished runs of a sweep, as their folders hold them (written with the reporter's own writers: the
 * pages only read folders, so no model is trained): batch size, learning rate and units rising with the run.
 */
function writeSweepRuns(dir: string): string[] {
  return Array.from({ length: 16 }, (_, index) => {
    const r = index + 1;
    const runId = `20261203-1200${String(r).padStart(2, '0')}.000-abcdef`;
    const runDir = join(dir, 'sweepy', runId);
    mkdirSync(runDir, { recursive: true });
    createMetricsCsv(join(runDir, RUN_FILES.metrics));
    const accuracy = (epoch: number) => Math.min(0.99, 0.1 + (0.05 + r * 0.01) * epoch);
    const rows = Array.from({ length: 11 }, (_, epoch) => ({ epoch, test_loss: 2.3 / (epoch + 1) + r / 100, test_accuracy: accuracy(epoch), ...(epoch > 0 ? { train_loss: 2 / epoch, train_accuracy: accuracy(epoch) } : {}) }));
    for (const row of rows) appendMetricsRow(join(runDir, RUN_FILES.metrics), row);
    writeFileSync(join(runDir, RUN_FILES.spec), `name: sweepy\nepochs: 10\nbatchSize: ${8 * r}\noptimizer: { name: adam, learningRate: ${0.001 * r} }\nmodel:\n  layers:\n    - { units: ${16 * r}, activation: relu }\n`);
    const summary = { name: 'sweepy', runId, status: 'completed', epochs: 10, epochsCompleted: 10, backend: 'native', tfjsBackend: 'cpu', seed: 1, classNames: [], specFile: 'sweepy.yaml', startedAt: '2026-12-03T12:00:00.000Z', durationSeconds: 1.2, resumes: 0, peakRssMiB: 100, final: { test_accuracy: rows[10].test_accuracy, test_loss: rows[10].test_loss }, best: null };
    writeFileSync(join(runDir, RUN_FILES.summary), JSON.stringify(summary));
    return runId;
  });
}

describe.skipIf(browserMissing)('sixteen runs on a 1280 px screen', () => {
  let browser: Browser;
  afterAll(async () => browser?.close());

  it('fits the runs index and the comparison in 1280 px, with distinct colours in rank order and short legends', async () => {
    const dir = join(work, 'sixteen');
    const runIds = writeSweepRuns(dir);
    await writeRunsIndex(dir);
    const compared = specml(['compare', '--runs-dir', dir, '--out', join(work, 'comparison-16')]);
    expect(compared.status, compared.stderr).toBe(0);
    // The table shows numbers to 6 digits (0.013, not 0.013000000000000001); the CSV keeps every digit.
    expect(compared.stdout).toMatch(/│ 104 +│ 0\.013 +│ 208 +│/);
    expect(compared.stdout).not.toContain('0.013000000000000001');
    expect(readFileSync(join(work, 'comparison-16', 'comparison.csv'), 'utf8')).toMatch(/,104,0\.013000000000000001,208,/);
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(pathToFileURL(join(dir, 'index.html')).href);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
    expect(await page.locator('#runs tbody tr').count()).toBe(16);
    expect(await page.locator('#runs tbody tr td:nth-child(5)').allTextContents()).toContain('adam 0.013');
    // The chart draws the 12 most recent runs from epoch 1, its legend in that order, each line its own colour.
    const legend = await page.locator('#chart svg .role-legend-label text').allTextContents();
    expect(legend).toEqual(runIds.slice(4).reverse().map((runId) => `sweepy/${runId}`));
    const colours = await page.locator('#chart svg .role-legend-symbol path').evaluateAll((paths) => paths.map((path) => path.getAttribute('fill')));
    expect(new Set(colours).size).toBe(12);
    mkdirSync(screenshots, { recursive: true });
    await page.screenshot({ path: join(screenshots, 'runs-index-16.png'), fullPage: true });
    // comparison.png, drawn at twice its size for sharp screens, shows at most 1280 px wide.
    writeFileSync(join(work, 'comparison-16', 'view.html'), '<img src="comparison.png">');
    await page.goto(pathToFileURL(join(work, 'comparison-16', 'view.html')).href);
    expect(await page.locator('img').evaluate((image) => (image as HTMLImageElement).naturalWidth / 2)).toBeLessThanOrEqual(1280);
    await page.screenshot({ path: join(screenshots, 'comparison-16.png'), fullPage: true });
  });
});
