import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digitsRun, startServing, temporaryFolder, waitFor } from '../test-kit/test-cli.js';
import { browserMissing, launchChromium } from '../test-kit/test-browser.js';

// A runs dir is written by whoever can write there, or send a run folder through the queue: nothing in it
// may run as script in the dashboard's origin, and one odd folder may not blank the page.

const work = temporaryFolder('dashboard-hostile');
const runsDir = join(work, 'runs');
const INJECTED = '<iframe srcdoc="<script src=/runs/evil/run-1/evil.js></script>"></iframe><img src=x onerror="window.top.pwned=1">';

function copyRun(name: string, runId: string, summaryFields: Record<string, unknown>, drop: string[] = []) {
  const dir = join(runsDir, name, runId);
  mkdirSync(dir, { recursive: true });
  const from = digitsRun();
  for (const file of ['metrics.csv', 'spec.yaml', 'report.html']) cpSync(join(from, file), join(dir, file));
  const summary = { ...JSON.parse(readFileSync(join(from, 'summary.json'), 'utf8')), name, runId, ...summaryFields };
  for (const key of drop) delete summary[key];
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary));
  return dir;
}

describe.skipIf(browserMissing)('the dashboard with a hostile runs dir', () => {
  let browser: Browser;
  let dashboard: Awaited<ReturnType<typeof startServing>> & { url: string };

  beforeAll(async () => {
    copyRun('digits', 'run-1', {});
    const evil = copyRun('evil', 'run-1', { epochs: INJECTED, epochsCompleted: INJECTED, durationSeconds: '12', worker: INJECTED }, ['startedAt']);
    writeFileSync(join(evil, 'evil.js'), 'window.top.pwned = 1;');
    writeFileSync(join(evil, 'report.html'), '<html><body><p id="report">report</p><script>window.top.pwned = 1;</script><script src="evil.js"></script></body></html>');
    // A FIFO where summary.json and sweep.json belong: read, it would hang the scan.
    mkdirSync(join(runsDir, 'fifo', 'run-1'), { recursive: true });
    execFileSync('mkfifo', [join(runsDir, 'fifo', 'run-1', 'summary.json')]);
    mkdirSync(join(runsDir, 'fifo', 'sweep-1'));
    execFileSync('mkfifo', [join(runsDir, 'fifo', 'sweep-1', 'sweep.json')]);
    // A sweep.json of the wrong shape.
    mkdirSync(join(runsDir, 'digits', 'sweep-bad'));
    writeFileSync(join(runsDir, 'digits', 'sweep-bad', 'sweep.json'), JSON.stringify({ name: 'digits', sweepId: 'bad', keys: 'lr', metric: {}, trials: [{ index: 'x' }] }));
    browser = await launchChromium();
    const server = await startServing(['dashboard', '--runs-dir', runsDir, '--port', '0'], /at (http:\S+)/);
    dashboard = { ...server, url: server.address };
  });
  afterAll(async () => {
    await browser?.close();
    dashboard?.child.kill('SIGTERM');
    await dashboard?.exited;
  });

  it('shows every value as text, runs no script from a run folder, and lists the odd run beside the others', async () => {
    const page = await browser.newPage();
    await page.goto(dashboard.url);
    expect(await waitFor(async () => (await page.locator('#table tbody tr').count()) === 2)).toBe(true);
    // The wrong-typed fields read as unknown; the injected markup is nowhere an element, only text.
    const evilRow = page.locator('#table tbody tr[data-id="evil/run-1"]');
    expect(await evilRow.locator('td').nth(4).textContent()).toBe('0/0');
    expect(await evilRow.locator('td').nth(10).textContent()).toBe(INJECTED);
    expect(await page.locator('#table iframe, #table img').count()).toBe(0);
    expect(await page.textContent('#counts')).toMatch(/^2 of 2 runs/);
    // The run folder's own page and script: served so that neither runs in the dashboard's origin.
    await page.goto(`${dashboard.url}runs/evil/run-1/report.html`);
    expect(await page.textContent('#report')).toBe('report');
    await page.goto(dashboard.url);
    await page.waitForSelector('#table tbody tr');
    await page.evaluate(async () => {
      const frame = document.createElement('iframe');
      frame.src = '/runs/evil/run-1/report.html';
      document.body.append(frame);
      await new Promise((loaded) => frame.addEventListener('load', loaded));
      const script = document.createElement('script');
      script.src = '/runs/evil/run-1/evil.js';
      document.body.append(script);
      await new Promise((done) => ((script.onerror = done), (script.onload = done)));
    });
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    const script = await page.request.get(`${dashboard.url}runs/evil/run-1/evil.js`);
    expect(script.headers()['content-type']).toBe('application/octet-stream');
    expect(script.headers()['content-disposition']).toBe('attachment');
    const report = await page.request.get(`${dashboard.url}runs/evil/run-1/report.html`);
    expect(report.headers()['content-security-policy']).toMatch(/^sandbox; default-src 'none'/);
    const charts = await page.request.get(`${dashboard.url}api/charts?runs=evil/run-1,digits/run-1&sweep=digits/sweep-bad`);
    expect(charts.status()).toBe(200);
    expect((await charts.json()).curves).not.toBeNull();
    await page.close();
  });
});
