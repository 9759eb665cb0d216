import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CHARTED_RUNS, drawRunsIndexChartAhead, writeRunsIndex } from './html-pages.js';

const work = mkdtempSync(join(tmpdir(), 'specml-index-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A finished run's folder as the index reads it: its summary and its metrics per epoch. */
function writeRun(runsDir: string, index: number): string {
  const runId = `20261203-1200${String(index).padStart(2, '0')}.000-abcdef`;
  const dir = join(runsDir, 'sweep', runId);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'summary.json'), JSON.stringify({ name: 'sweep', runId, status: 'completed', final: { test_accuracy: index / 100 } }));
  writeFileSync(join(dir, 'metrics.csv'), `epoch,test_loss,test_accuracy\n0,2,0.1\n1,1,${index / 100}\n`);
  return runId;
}

describe('the runs index', () => {
  it('lists every run but charts only the most recent, and says so', async () => {
    const runsDir = join(work, 'many');
    const runIds = Array.from({ length: CHARTED_RUNS + 3 }, (_, index) => writeRun(runsDir, index + 1));
    const { path, warnings } = await writeRunsIndex(runsDir);
    const html = readFileSync(path, 'utf8');
    expect(warnings).toEqual([]);
    for (const runId of runIds) expect(html).toContain(`data-value="${runId}"`);
    expect(html).toContain(`<h2>Test accuracy per epoch of the ${CHARTED_RUNS} most recent runs</h2>`);
    // The chart's legend names the charted runs: the newest CHARTED_RUNS, not the three oldest.
    const chart = html.slice(html.indexOf('<div id="chart">'));
    for (const runId of runIds.slice(3)) expect(chart).toContain(`sweep/${runId}`);
    for (const runId of runIds.slice(0, 3)) expect(chart).not.toContain(`sweep/${runId}`);
  });

  it('charts every run while there are few', async () => {
    const runsDir = join(work, 'few');
    const runIds = [writeRun(runsDir, 1), writeRun(runsDir, 2)];
    const html = readFileSync((await writeRunsIndex(runsDir)).path, 'utf8');
    expect(html).toContain('<h2>Test accuracy per epoch</h2>');
    for (const runId of runIds) expect(html.slice(html.indexOf('<div id="chart">'))).toContain(`sweep/${runId}`);
  });

  it('takes a chart drawn ahead only while the runs it drew are the runs on disk', async () => {
    const runsDir = join(work, 'ahead');
    const first = writeRun(runsDir, 1);
    const chartOf = async () => {
      const html = readFileSync((await writeRunsIndex(runsDir)).path, 'utf8');
      return html.slice(html.indexOf('<div id="chart">'));
    };
    drawRunsIndexChartAhead(runsDir);
    const drawnAhead = await chartOf();
    expect(drawnAhead).toContain(`sweep/${first}`);
    // Another run ends after the chart was drawn ahead: the index charts it too, not the chart drawn before it.
    drawRunsIndexChartAhead(runsDir);
    const second = writeRun(runsDir, 2);
    const chart = await chartOf();
    expect(chart).toContain(`sweep/${first}`);
    expect(chart).toContain(`sweep/${second}`);
    expect(chart).not.toBe(drawnAhead);
    expect(await chartOf()).toBe(chart);
  });
});
