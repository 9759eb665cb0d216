import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digitsRun, specml, startServing, startSpecml, temporaryFolder, waitFor } from '../test-kit/test-cli.js';
import { browserMissing, launchChromium } from '../test-kit/test-browser.js';

const work = temporaryFolder('dashboard');
const screenshots = join(work, 'screenshots');


/** Starts `specml dashboard` on a runs dir and a free port; resolves with its URL. */
async function startDashboard(runsDir: string) {
  const server = await startServing(['dashboard', '--runs-dir', runsDir, '--port', '0'], /at (http:\S+)/);
  return { ...server, url: server.address };
}

describe.skipIf(browserMissing)('the dashboard in Chromium', () => {
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  const runsDir = join(work, 'runs');
  let dashboard: Awaited<ReturnType<typeof startDashboard>>;

  beforeAll(async () => {
    mkdirSync(runsDir);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 1600 } });
    page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    page.on('pageerror', (error) => errors.push(error.message));
    dashboard = await startDashboard(runsDir);
  });
  afterAll(async () => {
    await browser?.close();
    dashboard?.child.kill('SIGTERM');
    await dashboard?.exited;
  });

  const rows = () => page.locator('#table tbody tr').count();
  /** Points drawn in the curve panels (two panels: test accuracy and loss), legend symbols left out. */
  const curvePoints = () => page.locator('#curves g.mark-symbol.role-mark path').count();

  it('shows a sweep as it runs: rows appear and a running trial\'s curve grows, without reloading', async () => {
    await page.goto(dashboard.url);
    await page.evaluate(() => ((window as unknown as { loadedOnce: boolean }).loadedOnce = true));
    expect(await rows()).toBe(0);
    const spec = join(work, 'live.yaml');
    writeFileSync(spec, 'name: live\ndata: { trainLimit: 6000, testLimit: 500 }\nmodel:\n  layers:\n    - { units: 32, activation: relu }\n    - { units: 10, activation: softmax }\nbatchSize: 16\nepochs: 24\nsweep:\n  optimizer.learningRate: [0.003, 0.001, 0.0003]\n');
    const sweep = startSpecml(['exp', spec, '--runs-dir', runsDir, '--workers', '1']);
    expect(await waitFor(async () => (await page.locator('#table tbody tr .status.running').count()) === 1)).toBe(true);
    // The running trial is selected (the latest sweep's trials are, by default) and its curve gains points.
    expect(await waitFor(async () => (await curvePoints()) > 0)).toBe(true);
    const first = await curvePoints();
    expect(await waitFor(async () => (await curvePoints()) > first)).toBe(true);
    await page.screenshot({ path: join(screenshots, 'dashboard-live.png'), fullPage: true });
    expect(await sweep.exited).toBe(0);
    expect(await waitFor(async () => (await page.locator('#table tbody tr .status.completed').count()) === 3)).toBe(true);
    expect(await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce)).toBe(true);
  });

  it('draws one parallel-coordinates line per finished trial, and a scatter per swept key', async () => {
    expect(await waitFor(async () => (await page.locator('#parallel g.mark-line path').count()) === 3)).toBe(true);
    expect(await page.locator('#scatter g.mark-symbol.role-mark path').count()).toBe(3);
    expect(await page.locator('#sweep-select option').first().textContent()).toMatch(/^live\/sweep-\S+ \(grid, 3\/3 trials, completed\)$/);
    await page.screenshot({ path: join(screenshots, 'dashboard.png'), fullPage: true });
  });

  it('filters the table by text and status, and redraws the curves for the selection', async () => {
    await page.fill('#filter', 'optimizer.learningRate=0.001');
    expect(await waitFor(async () => (await rows()) === 1)).toBe(true);
    await page.fill('#filter', '');
    await page.selectOption('#status', 'stopped');
    expect(await waitFor(async () => (await rows()) === 0)).toBe(true);
    await page.selectOption('#status', '');
    expect(await waitFor(async () => (await rows()) === 3)).toBe(true);
    const all = await curvePoints();
    expect(all).toBe(3 * 24 * 2);
    await page.locator('#table tbody tr input[type=checkbox]').first().uncheck();
    expect(await waitFor(async () => (await curvePoints()) === 2 * 24 * 2)).toBe(true);
    await page.check('#epoch0');
    expect(await waitFor(async () => (await curvePoints()) === 2 * 25 * 2)).toBe(true);
    // A click on a header sorts by it: read the rows once the table shows that sort (a live update re-renders with it).
    await page.click('#table thead th[data-key="final"]');
    await page.waitForSelector('#table[data-sort="final:descending"]');
    const accuracies = await page.locator('#table tbody tr td:nth-child(6)').allTextContents();
    expect(accuracies.map(Number)).toEqual([...accuracies.map(Number)].sort((a, b) => b - a));
    expect(errors).toEqual([]);
  });

  it('stays usable with 500 runs', async () => {
    const many = join(work, 'many');
    const template = digitsRun();
    for (let index = 0; index < 500; index++) {
      const dir = join(many, 'bulk', `run-${String(index).padStart(3, '0')}`);
      mkdirSync(dir, { recursive: true });
      for (const file of ['metrics.csv', 'spec.yaml']) cpSync(join(template, file), join(dir, file));
      const summary = JSON.parse(readFileSync(join(template, 'summary.json'), 'utf8'));
      writeFileSync(join(dir, 'summary.json'), JSON.stringify({ ...summary, name: 'bulk', runId: `run-${String(index).padStart(3, '0')}`, seed: index }));
    }
    const big = await startDashboard(many);
    try {
      // Bounded by waitFor's limit (30 s); the times themselves are the bench's to measure, not a test's.
      await page.goto(big.url);
      expect(await waitFor(async () => (await rows()) === 500)).toBe(true);
      await page.fill('#filter', 'run-42');
      expect(await waitFor(async () => (await rows()) === 10)).toBe(true); // run-420 … run-429
      expect(errors).toEqual([]);
    } finally {
      big.child.kill('SIGTERM');
      await big.exited;
    }
  });

  it('refuses a port in use with exit 2', () => {
    const port = new URL(dashboard.url).port;
    expect(specml(['dashboard', '--runs-dir', runsDir, '--port', port])).toMatchObject({
      status: 2,
      stderr: `error: --port ${port}: port ${port} on 127.0.0.1 is already in use (another dashboard? choose another with --port, or --port 0 for any free one)\n`,
    });
  });
});
