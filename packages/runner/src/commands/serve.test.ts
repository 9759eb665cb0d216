import type { ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeTwoClassImageFolder } from '@specml/data/test-fixtures';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digitsRun, lastLine, root, specml, startServing, temporaryFolder } from '../test-kit/test-cli.js';
import { browserMissing, launchChromium } from '../test-kit/test-browser.js';

const work = temporaryFolder('serve');
const screenshots = join(work, 'screenshots');


/** Starts `serve` on a run folder, once it listens. */
async function startServe(runDir: string) {
  const started = await startServing(['serve', '--run', runDir, '--port', '0'], /draw a digit or choose an image at (http:\/\/127\.0\.0\.1:\d+\/)/);
  return { server: started.child, url: started.address, stderr: () => started.output().stderr };
}

/** Sends raw bytes to host:port and resolves with whatever comes back before the socket closes (at most 2 s). */
function rawRequest(port: number, bytes: string): Promise<string> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk));
    socket.on('error', () => done(answer));
    socket.on('close', () => done(answer));
    socket.setTimeout(2000, () => socket.destroy());
    socket.end(bytes);
  });
}

describe('specml serve under hostile requests', () => {
  it('answers every malformed request line and a vanished model file without going down', async () => {
    // A copy of the shared run, whose model file this test removes.
    const runDir = join(work, 'hostile-run');
    cpSync(digitsRun(), runDir, { recursive: true });
    const { server, url, stderr } = await startServe(runDir);
    try {
      const port = Number(new URL(url).port);
      const lines = [
        'GET http://[ HTTP/1.1', 'GET http://%zz/ HTTP/1.1', 'GET //evil.example/ HTTP/1.1', 'GET /../../etc/passwd HTTP/1.1', 'GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1',
        'GET /model/..%2f..%2fsummary.json HTTP/1.1', 'GET \u0000 HTTP/1.1', `GET /${'a'.repeat(70_000)} HTTP/1.1`, 'DELETE / HTTP/1.1', 'GET', 'GET / HTTP/9.9', '\u00ff\u00fe garbage',
        'GET http://127.0.0.1:1/model/model.json HTTP/1.1', 'GET /?%%%% HTTP/1.1', 'GET /run.json?x=%ZZ HTTP/1.1', 'CONNECT 127.0.0.1:22 HTTP/1.1', 'GET * HTTP/1.1',
      ];
      for (const line of lines) {
        const answer = await rawRequest(port, `${line}\r\nHost: 127.0.0.1\r\n\r\n`);
        // A proper answer (or the connection closed by Node's parser), and never a file outside the routes.
        expect(answer === '' || /^HTTP\/1\.1 \d{3} /.test(answer), `${line.slice(0, 60)} → ${answer.slice(0, 60)}`).toBe(true);
        if (/\.\.|%2e|passwd|evil|summary/.test(line)) expect(answer.startsWith('HTTP/1.1 200'), line).toBe(false);
      }
      rmSync(join(runDir, 'model', 'weights.bin'));
      expect((await fetch(`${url}model/weights.bin`)).status).toBe(404);
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(server.exitCode).toBe(null);
      expect(stderr()).toBe('');
    } finally {
      server.kill('SIGTERM');
    }
  });

  it('decodes uploads in a process of its own, and refuses one that takes longer than --decode-seconds while staying up', async () => {
    const digit = readFileSync(join(root, 'experiments/data/digits/test/4/test-4.png'));
    const childrenOf = (pid: number) => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    const patient = await startServe(digitsRun());
    try {
      const answer = await fetch(`${patient.url}predict`, { method: 'POST', body: digit });
      expect(answer.status).toBe(200);
      expect((await answer.json()).probabilities).toHaveLength(10);
      // The decoding ran in a child process (which stays for the next upload), not on the server's event loop.
      const commands = childrenOf(patient.server.pid!).map((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
      expect(commands.some((command) => command.includes('image-input-child.js'))).toBe(true);
    } finally {
      patient.server.kill('SIGTERM');
    }
    // No decoding (a process to start, an image to read) fits in a millisecond.
    const hasty = await startServing(['serve', '--run', digitsRun(), '--port', '0', '--decode-seconds', '0.001'], /at (http:\/\/127\.0\.0\.1:\d+\/)/);
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        const refused = await fetch(`${hasty.address}predict`, { method: 'POST', body: digit });
        expect(refused.status).toBe(400);
        expect(await refused.json()).toEqual({ error: 'the image took longer than 0.001 s to decode: send a smaller image' });
      }
      expect((await fetch(`${hasty.address}run.json`)).status).toBe(200);
      expect(hasty.child.exitCode).toBe(null);
      expect(hasty.output().stderr).toBe('');
    } finally {
      hasty.child.kill('SIGTERM');
    }
  });

  it('refuses a --decode-seconds that is no number of seconds', () => {
    const served = specml(['serve', '--run', digitsRun(), '--port', '0', '--decode-seconds', '0']);
    expect(served.status).toBe(2);
    expect(served.stderr).toBe('error: --decode-seconds 0: expected a number of seconds above 0 and at most 600\n');
  });
});

describe.skipIf(browserMissing)('specml serve: the draw-a-digit page', () => {
  let server: ChildProcess;
  let url = '';
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const started = await startServe(digitsRun());
    server = started.server;
    url = started.url;

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

  /**
   * The shown prediction once it is `expected` (the page predicts on the next animation frame), or what it
   * shows after 10 s of waiting for it, for the assertion to report.
   */
  const prediction = async (expected: string) => {
    await page.waitForFunction((want) => document.querySelector('[data-testid="prediction"]')?.textContent === want, expected, { timeout: 10_000 }).catch(() => undefined);
    return page.locator('[data-testid="prediction"]').textContent();
  };

  it('starts blank, with no console errors', async () => {
    expect(await prediction('–')).toBe('–');
    expect(await page.locator('#run').textContent()).toMatch(/^model: digits \/ \S+$/);
    expect(pageErrors).toEqual([]);
  });

  it('predicts a drawn 1, with the bars summing to one', async () => {
    await stroke([[140, 40], [138, 240]]);
    expect(await prediction('1')).toBe('1');
    const values = await page.locator('#bars > div:nth-child(3n)').allTextContents();
    expect(values).toHaveLength(10);
    expect(values.reduce((sum, value) => sum + Number(value), 0)).toBeCloseTo(1, 1);
    mkdirSync(screenshots, { recursive: true });
    await page.screenshot({ path: join(screenshots, 'draw-page-1.png') });
  });

  it('clears, then predicts a drawn 7 and a drawn 0', async () => {
    await page.click('#clear');
    expect(await prediction('–')).toBe('–');
    await stroke([[60, 50], [220, 50], [120, 250]]);
    expect(await prediction('7')).toBe('7');
    await page.screenshot({ path: join(screenshots, 'draw-page-7.png') });
    await page.click('#clear');
    const ellipse = Array.from({ length: 25 }, (_, i): [number, number] => [140 + 65 * Math.sin((i / 24) * 2 * Math.PI), 140 - 100 * Math.cos((i / 24) * 2 * Math.PI)]);
    await stroke(ellipse);
    expect(await prediction('0')).toBe('0');
    expect(pageErrors).toEqual([]);
  });

  it('predicts an image file chosen on the page, read by the server as predict reads it', async () => {
    await page.setInputFiles('#file', join(root, 'experiments/data/digits/test/4/test-4.png'));
    await page.waitForFunction(() => document.querySelector('[data-testid="prediction"]')?.textContent !== '–');
    expect(await prediction('4')).toBe('4');
    expect(await page.locator('#preview').isVisible()).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});

describe.skipIf(browserMissing)('specml serve: a colour image-folder model', () => {
  let server: ChildProcess;
  let url = '';
  let browser: Browser;
  const photos = join(work, 'photos');

  beforeAll(async () => {
    await writeTwoClassImageFolder(photos, 'train', 16);
    await writeTwoClassImageFolder(photos, 'test', 4);
    const spec = join(work, 'photos.yaml');
    writeFileSync(spec, 'name: photos\ndata: { dataset: imageFolder, path: photos/train, testPath: photos/test }\nmodel:\n  layers:\n    - { units: 16, activation: relu }\n    - { units: 2, activation: softmax }\noptimizer: { name: adam, learningRate: 0.01 }\nbatchSize: 8\nepochs: 8\n');
    const trained = specml(['exp', spec, '--runs-dir', join(work, 'runs')]);
    expect(trained.status, trained.stderr).toBe(0);
    const started = await startServing(['serve', '--run', lastLine(trained.stdout), '--port', '0'], /^choose an image at (http:\/\/127\.0\.0\.1:\d+\/)/m);
    server = started.child;
    url = started.address;
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    server?.kill('SIGTERM');
  });

  it('has no draw pad, and predicts a dropped-in JPEG of the right class', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.locator('#pad').isVisible()).toBe(false);
    expect(await page.locator('#title').textContent()).toBe('Choose an image');
    await page.setInputFiles('#file', join(photos, 'test/right/001.jpg'));
    await page.waitForFunction(() => document.querySelector('[data-testid="prediction"]')?.textContent !== '–');
    expect(await page.locator('[data-testid="prediction"]').textContent()).toBe('right');
    await page.setInputFiles('#file', join(photos, 'test/left/000.png'));
    await page.waitForFunction(() => document.querySelector('[data-testid="prediction"]')?.textContent === 'left');
    expect(errors).toEqual([]);
  });

  it('answers a broken or oversized upload with a reason, and stays up', async () => {
    const broken = await fetch(`${url}predict`, { method: 'POST', body: 'not an image' });
    expect(broken.status).toBe(400);
    expect((await broken.json()).error).toMatch(/^the image: not a readable PNG or JPEG image \(.+\); remove or replace the file$/);
    const huge = await fetch(`${url}predict`, { method: 'POST', body: new Uint8Array(17 * 2 ** 20) });
    expect(huge.status).toBe(413);
    expect(await huge.json()).toEqual({ error: 'the image is larger than 16 MiB' });
    // Chunked (no declared length): answered 413 as well, not reset.
    const chunk = new Uint8Array(2 ** 20);
    let sent = 0;
    const stream = new ReadableStream({ pull: (controller) => (sent++ < 17 ? controller.enqueue(chunk) : controller.close()) });
    const chunked = await fetch(`${url}predict`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expect(chunked.status).toBe(413);
    // Four slow uploads (headers sent, body never) turn no real upload away.
    const port = Number(new URL(url).port);
    const slow = Array.from({ length: 4 }, () => connect(port, '127.0.0.1', function (this: ReturnType<typeof connect>) {
      this.write('POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nabc');
    }));
    const good = await fetch(`${url}predict`, { method: 'POST', body: readFileSync(join(photos, 'test/left/000.png')) });
    slow.forEach((socket) => socket.destroy());
    expect(good.status).toBe(200);
    const { probabilities } = await good.json();
    expect(probabilities[0]).toBeGreaterThan(0.5);
    expect(server.exitCode).toBe(null);
  });

  it('refuses a table model with the command that predicts its rows', () => {
    const table = specml(['exp', 'experiments/own-table.yaml', '--runs-dir', join(work, 'table-runs'), '--set', 'epochs=1']);
    const served = specml(['serve', '--run', lastLine(table.stdout), '--port', '0']);
    expect(served.status).toBe(2);
    expect(served.stderr).toMatch(/^error: --run \S+: this run's model reads table rows of several columns; predict them with: npx specml predict --run \S+ rows\.csv\n$/);
  });
});

describe.skipIf(browserMissing)('specml serve: a text model', () => {
  let server: ChildProcess;
  let url = '';
  let runDir = '';
  let browser: Browser;
  const spam = 'Congratulations! You have been selected to receive a FREE vacation. Click here now to claim your prize, limited offer, act now!!!';

  beforeAll(async () => {
    // The e-mails' bodies read as a sequence (embedding + pooling), alone (the page has one text box); a few epochs suffice for the page.
    const trained = specml(['exp', 'experiments/own-text-sequence.yaml', '--runs-dir', join(work, 'text-runs'), '--set', 'epochs=3', '--set', 'data.columns.subject=ignore']);
    expect(trained.status, trained.stderr).toBe(0);
    runDir = lastLine(trained.stdout);
    const started = await startServing(['serve', '--run', runDir, '--port', '0'], /^write a text at (http:\/\/127\.0\.0\.1:\d+\/)/m);
    server = started.child;
    url = started.address;
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    server?.kill('SIGTERM');
  });

  it('predicts a posted text as predict predicts the same text in a file, and refuses text that is not UTF-8 or too long', async () => {
    expect(await (await fetch(`${url}run.json`)).json()).toMatchObject({ text: 'body', drawPad: false, classNames: ['ham', 'spam'] });
    const answer = await fetch(`${url}predict`, { method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8' }, body: spam });
    expect(answer.status).toBe(200);
    const { probabilities } = await answer.json();
    writeFileSync(join(work, 'spam.csv'), `body\n"${spam}"\n`);
    const predicted = specml(['predict', '--run', runDir, join(work, 'spam.csv'), '--json']);
    expect(predicted.status, predicted.stderr).toBe(0);
    const [row] = JSON.parse(predicted.stdout);
    expect(probabilities[0]).toBeCloseTo(row.probabilities.ham, 6);
    expect(probabilities[1]).toBeCloseTo(row.probabilities.spam, 6);
    const latin1 = await fetch(`${url}predict`, { method: 'POST', body: Uint8Array.of(0x63, 0x61, 0x66, 0xe9) });
    expect(latin1.status).toBe(400);
    expect(await latin1.json()).toEqual({ error: 'the text is not UTF-8' });
    const long = await fetch(`${url}predict`, { method: 'POST', body: 'word '.repeat(14_000) });
    expect(long.status).toBe(413);
    expect(await long.json()).toEqual({ error: 'the text is longer than 64 KiB' });
    expect(server.exitCode).toBe(null);
  });

  it('has a text box instead of image files, and predicts what is written in it', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.locator('#title').textContent()).toBe('Write a text');
    expect(await page.locator('#drop').isVisible()).toBe(false);
    expect(await page.locator('#pad').isVisible()).toBe(false);
    await page.fill('#text', spam);
    await page.click('#predict-text');
    await page.waitForFunction(() => document.querySelector('[data-testid="prediction"]')?.textContent !== '–');
    expect(['ham', 'spam']).toContain(await page.locator('[data-testid="prediction"]').textContent());
    expect(errors).toEqual([]);
  });
});
