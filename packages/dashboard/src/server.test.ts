import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { metricsColumnsOf } from '@specml/data';
import { appendMetricsRow, createMetricsCsv, readRun, renderRunReport, RUN_FILES, type RunStatus } from '@specml/reporter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pageHtml, startDashboard, type Dashboard } from './server.js';

const work = mkdtempSync(join(tmpdir(), 'specml-dashboard-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A raw GET (or another method) with the path exactly as given: no normalisation of `..` by a client. */
function get(url: string, path: string, method = 'GET'): Promise<{ status: number; body: string; type: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method }, (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body, type: String(response.headers['content-type']) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * A run folder as `<runsDir>/<name>/<runId>`, written with the reporter's own writers: the untrained row and
 * three trained epochs, a summary, a spec and a report. (The server only reads run folders; it needs no
 * trained model, so this test trains none.)
 */
function writeRun(runsDir: string, name: string, runId: string, status: RunStatus = 'completed') {
  const dir = join(runsDir, name, runId);
  mkdirSync(dir, { recursive: true });
  createMetricsCsv(join(dir, RUN_FILES.metrics));
  const rows = [0, 1, 2, 3].map((epoch) => ({ epoch, test_loss: 2.3 / (epoch + 1), test_accuracy: 0.1 + 0.28 * epoch, ...(epoch > 0 ? { train_loss: 2 / epoch, train_accuracy: 0.3 * epoch } : {}) }));
  for (const row of rows) appendMetricsRow(join(dir, RUN_FILES.metrics), row);
  writeFileSync(join(dir, RUN_FILES.spec), `name: ${name}\nepochs: 3\nseed: 1\n`);
  const final = rows.at(-1)!;
  const summary = { name, runId, status, epochs: 3, epochsCompleted: 3, backend: 'native', tfjsBackend: 'cpu', seed: 1, classNames: [], specFile: 'x.yaml', startedAt: '2026-11-30T00:00:00.000Z', durationSeconds: 1, resumes: 0, peakRssMiB: 100, final: { test_accuracy: final.test_accuracy, test_loss: final.test_loss }, best: { epoch: 3, test_accuracy: final.test_accuracy } };
  writeFileSync(join(dir, RUN_FILES.summary), JSON.stringify(summary));
  writeFileSync(join(dir, RUN_FILES.report), renderRunReport(readRun(dir)));
  return dir;
}

/** A regression's run folder: RMSE falling 80 → 50 over three epochs, R² rising. */
function writeRegressionRun(runsDir: string, runId: string, rmse: number[]) {
  const dir = join(runsDir, 'prices', runId);
  mkdirSync(dir, { recursive: true });
  const columns = metricsColumnsOf('regression', false);
  createMetricsCsv(join(dir, RUN_FILES.metrics), columns);
  const rows = rmse.map((value, epoch) => ({ epoch, test_loss: value ** 2, test_mae: value * 0.8, test_rmse: value, test_r2: 1 - (value / 90) ** 2, ...(epoch > 0 ? { train_loss: value ** 2 } : {}) }));
  for (const row of rows) appendMetricsRow(join(dir, RUN_FILES.metrics), row, columns);
  writeFileSync(join(dir, RUN_FILES.spec), 'name: prices\ntask: regression\n');
  const summary = { name: 'prices', runId, status: 'completed', task: 'regression', epochs: 3, epochsCompleted: 3, backend: 'native', tfjsBackend: 'cpu', seed: 1, classNames: [], specFile: 'x.yaml', startedAt: '2026-11-30T00:00:00.000Z', durationSeconds: 1, resumes: 0, peakRssMiB: 100, final: { test_loss: rmse[3] ** 2, test_rmse: rmse[3] }, best: { epoch: 3, test_rmse: Math.min(...rmse) } };
  writeFileSync(join(dir, RUN_FILES.summary), JSON.stringify(summary));
}

/** A run of three folds, each fold's validation accuracy given: its members and their mean, as a run of members writes them. */
function writeFoldedRun(runsDir: string, runId: string, accuracies: number[]) {
  const dir = writeRun(runsDir, 'cv', runId);
  const summary = JSON.parse(readFileSync(join(dir, RUN_FILES.summary), 'utf8'));
  const members = accuracies.map((accuracy, index) => ({ id: `fold-${index + 1}-seed-1`, seed: 1, fold: index + 1, status: 'completed', dir: `cv/fold-${index + 1}-seed-1`, final: { test_loss: 1 - accuracy, test_accuracy: accuracy, validation_accuracy: accuracy } }));
  const mean = accuracies.reduce((sum, accuracy) => sum + accuracy, 0) / accuracies.length;
  writeFileSync(join(dir, RUN_FILES.summary), JSON.stringify({ ...summary, final: { ...summary.final, validation_accuracy: mean }, members }));
}

/** Asks until the answer is what `done` wants or `seconds` have passed (the server sees new folders at its next poll). */
async function askUntil<T>(ask: () => Promise<T>, done: (answer: T) => boolean, seconds = 30): Promise<T> {
  const deadline = performance.now() + seconds * 1000;
  let answer = await ask();
  while (!done(answer) && performance.now() < deadline) {
    await new Promise((wake) => setTimeout(wake, 50));
    answer = await ask();
  }
  return answer;
}

describe('the dashboard server', () => {
  const runsDir = join(work, 'runs');
  let dashboard: Dashboard;

  beforeAll(async () => {
    writeRun(runsDir, 'digits', 'run-1');
    writeFileSync(join(work, 'secret.txt'), 'not for the dashboard');
    symlinkSync(work, join(runsDir, 'digits', 'way-out'));
    symlinkSync(join(work, 'secret.txt'), join(runsDir, 'digits', 'run-1', 'linked-secret.txt'));
    dashboard = await startDashboard({ runsDir, port: 0, pollMs: 100 });
  });
  afterAll(() => dashboard?.close());

  it('listens on 127.0.0.1 only, and serves the runs dir\'s state and files', async () => {
    expect(dashboard.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const state = JSON.parse((await get(dashboard.url, '/api/state')).body);
    expect(state.runs.map((run: { id: string }) => run.id)).toEqual(['digits/run-1']);
    expect(state.runs[0].metrics).toHaveLength(4);
    const summary = await get(dashboard.url, '/runs/digits/run-1/summary.json');
    expect(summary).toMatchObject({ status: 200, type: 'application/json; charset=utf-8' });
    expect(JSON.parse(summary.body).runId).toBe('run-1');
  });

  it('refuses every path that leads outside the runs dir: .., encoded .., encoded slashes, symlinks', async () => {
    for (const path of ['/runs/../secret.txt', '/runs/%2e%2e/secret.txt', '/runs/digits/..%2f..%2fsecret.txt', '/runs/%2E%2E%2F%2E%2E%2Fsecret.txt', '/runs/digits/way-out/secret.txt', '/runs/digits/run-1/linked-secret.txt']) {
      const response = await get(dashboard.url, path);
      expect([path, response.status]).toEqual([path, 403]);
      expect(response.body).not.toContain('not for the dashboard');
    }
    expect((await get(dashboard.url, '/runs/digits/run-1%00.json')).status).toBe(400);
    expect((await get(dashboard.url, '/runs/%E0%A4%A')).status).toBe(400);
    expect((await get(dashboard.url, '/runs/digits/run-1')).status).toBe(404);
    expect((await get(dashboard.url, '/assets/../src/server.ts')).status).toBe(404);
    expect((await get(dashboard.url, `/runs/${'a/'.repeat(3000)}`)).status).toBe(414);
  });

  it('is read-only', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) expect((await get(dashboard.url, '/runs/digits/run-1/summary.json', method)).status).toBe(405);
  });

  it('sends a change event when a run appears, and builds the chart specs for a selection', async () => {
    const { hostname, port } = new URL(dashboard.url);
    const change = await new Promise<{ runs: Array<{ id: string }> }>((resolve, reject) => {
      const req = request({ host: hostname, port, path: '/api/events' }, (response) => {
        let buffer = '';
        response.on('data', (chunk) => {
          buffer += chunk;
          const match = /event: change\ndata: (.*)\n\n/.exec(buffer);
          if (match) {
            req.destroy();
            resolve(JSON.parse(match[1]));
          }
        });
        // The stream is open (this page listens): a run that appears now is news at the server's next poll.
        writeRun(runsDir, 'digits', 'run-2', 'running');
      });
      req.on('error', reject);
      req.end();
    });
    expect(change.runs.map((run) => run.id)).toEqual(['digits/run-2']);
    const charts = JSON.parse((await get(dashboard.url, '/api/charts?runs=digits/run-1,digits/run-2,nope')).body);
    expect(charts.curves.data.values.filter((row: { metric: string }) => row.metric === 'test_accuracy')).toHaveLength(6); // 2 runs × 3 trained epochs, epoch 0 left out
    expect(charts.finals.data.values.map((row: { label: string }) => row.label)).toEqual(['digits/run-1', 'digits/run-2']);
    // Regressions are drawn by RMSE (best: the lowest) and R².
    writeRegressionRun(runsDir, 'r-1', [80, 70, 60, 65]);
    writeRegressionRun(runsDir, 'r-2', [80, 75, 55, 50]);
    // The server sees new folders at its next poll (100 ms here): ask until it has them (bounded).
    type RegressionCharts = { curves: { data: { values: Array<{ metric: string }> } } | null; finals: { data: { values: Array<{ label: string; final: number; best: number }> } } | null };
    const regression = await askUntil(async (): Promise<RegressionCharts> => JSON.parse((await get(dashboard.url, '/api/charts?runs=prices/r-1,prices/r-2')).body), (answer) => answer.finals?.data.values.length === 2);
    expect(new Set(regression.curves!.data.values.map((row) => row.metric))).toEqual(new Set(['test_rmse', 'test_r2']));
    expect(regression.finals!.data.values.map((row) => [row.label, row.final, row.best])).toEqual([['prices/r-1', 65, 60], ['prices/r-2', 50, 50]]);
    expect(charts.parallel).toBeNull();
    // Whether the first two selected runs differ beyond the noise: not from one run each; from their folds.
    expect(charts.verdict).toBe('whether "digits/run-1" is better than "digits/run-2" cannot be told from one run each: give both data.folds or repeats (members) to see if the difference is larger than the noise');
    writeFoldedRun(runsDir, 'a', [0.9, 0.92, 0.94]);
    writeFoldedRun(runsDir, 'b', [0.8, 0.83, 0.85]);
    const folded = await askUntil(async (): Promise<{ verdict: string | null }> => JSON.parse((await get(dashboard.url, '/api/charts?runs=cv/b,cv/a')).body), (answer) => !!answer.verdict?.includes('paired'));
    expect(folded.verdict).toMatch(/^"cv\/a" beats "cv\/b" by 9\.3 ± [\d.]+ points of validation accuracy \(p = 0\.0\d+, paired over 3 folds\)$/);
  });

  it('says which port is taken', async () => {
    const port = Number(new URL(dashboard.url).port);
    await expect(startDashboard({ runsDir, port })).rejects.toThrow(`--port ${port}: port ${port} on 127.0.0.1 is already in use (another dashboard? choose another with --port, or --port 0 for any free one)`);
    await expect(startDashboard({ runsDir: join(work, 'nowhere'), port: 0 })).rejects.toThrow(/^--runs-dir .*nowhere: no such folder/);
  });

  it('loads only local assets', () => {
    const html = pageHtml();
    expect(html.match(/(?:src|href)="[^"]*"/g)).toEqual(['href="data:,"', 'href="/assets/app.css"', 'src="/assets/vega.min.js"', 'src="/assets/vega-lite.min.js"', 'src="/assets/app.js"']);
  });
});
