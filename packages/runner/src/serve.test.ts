import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root, cli, cliEnv, temporaryFolder } from './test-cli.js';
import { browserMissing, launchChromium } from './test-browser.js';

const work = temporaryFolder('serve');
const screenshots = join(root, 'test-output');


describe.skipIf(browserMissing)('specml serve: the draw-a-digit page', () => {
  let server: ReturnType<typeof spawn>;
  let url = '';
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const spec = join(work, 'digits.yaml');
    writeFileSync(spec, 'name: digits\ndata: { trainLimit: 30000 }\nmodel:\n  layers:\n    - { units: 128, activation: relu }\n    - { units: 10, activation: softmax }\nbatchSize: 32\nepochs: 3\n');
    const run = spawnSync(process.execPath, [cli, 'exp', spec, '--runs-dir', join(work, 'runs')], { cwd: root, env: cliEnv, encoding: 'utf8' });
    expect(run.status).toBe(0);
    const runDir = run.stdout.trim().split('\n').at(-1)!;

    server = spawn(process.execPath, [cli, 'serve', '--run', runDir, '--port', '0'], { cwd: root, env: cliEnv, stdio: ['ignore', 'pipe', 'inherit'] });
    url = await new Promise<string>((found, fail) => {
      let output = '';
      server.stdout!.on('data', (chunk) => {
        output += chunk;
        const match = /draw a digit at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output);
        if (match) found(match[1]);
      });
      server.on('exit', (code) => fail(new Error(`serve exited with ${code}: ${output}`)));
    });

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 900, height: 640 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => message.type() === 'error' && pageErrors.push(message.text()));
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    server?.kill('SIGTERM');
  });

  /** Drags the mouse through points given in the 280 × 280 pad's own coordinates. */
  async function stroke(points: Array<[number, number]>) {
    const box = (await page.locator('#pad').boundingBox())!;
    await page.mouse.move(box.x + points[0][0], box.y + points[0][1]);
    await page.mouse.down();
    for (const [x, y] of points.slice(1)) await page.mouse.move(box.x + x, box.y + y, { steps: 8 });
    await page.mouse.up();
  }

  const prediction = async () => {
    await page.waitForTimeout(150); // the page predicts on the next animation frame
    return page.locator('[data-testid="prediction"]').textContent();
  };

  it('starts blank, with no console errors', async () => {
    expect(await prediction()).toBe('–');
    expect(await page.locator('#run').textContent()).toMatch(/^model: digits \/ \S+$/);
    expect(pageErrors).toEqual([]);
  });

  it('predicts a drawn 1, with the bars summing to one', async () => {
    await stroke([[140, 40], [138, 240]]);
    expect(await prediction()).toBe('1');
    const values = await page.locator('#bars > div:nth-child(3n)').allTextContents();
    expect(values).toHaveLength(10);
    expect(values.reduce((sum, value) => sum + Number(value), 0)).toBeCloseTo(1, 1);
    mkdirSync(screenshots, { recursive: true });
    await page.screenshot({ path: join(screenshots, 'draw-page-1.png') });
  });

  it('clears, then predicts a drawn 7 and a drawn 0', async () => {
    await page.click('#clear');
    expect(await prediction()).toBe('–');
    await stroke([[60, 50], [220, 50], [120, 250]]);
    expect(await prediction()).toBe('7');
    await page.screenshot({ path: join(screenshots, 'draw-page-7.png') });
    await page.click('#clear');
    const ellipse = Array.from({ length: 25 }, (_, i): [number, number] => [140 + 65 * Math.sin((i / 24) * 2 * Math.PI), 140 - 100 * Math.cos((i / 24) * 2 * Math.PI)]);
    await stroke(ellipse);
    expect(await prediction()).toBe('0');
    expect(pageErrors).toEqual([]);
  });
});
