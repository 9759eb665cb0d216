import { parentPort, workerData } from 'node:worker_threads';
import type { TopLevelSpec } from 'vega-lite';
import { drawPng, drawSvg, pngOf, prepareChart, type ChartReply, type ChartRequest, type ChartThreadData } from './chart-drawing.js';
import { FONT_FAMILY } from './fonts.js';

// The chart thread (see charts.ts): draws each chart's SVG asked for, in the order asked, and has the thread
// pool rasterise and compress the PNGs while it draws the next SVG. Started by warmCharts, it first draws a
// chart of its own, which loads the libraries and warms their code, so that a run's are drawn fast.

const port = parentPort!;

/** The marks a run's pictures use (lines with points, cells with text in them), with a title and a legend. */
const WARM_UP: TopLevelSpec = {
  title: 'warm-up',
  data: { values: [{ x: 0, y: 0, series: 'a' }, { x: 1, y: 1, series: 'b' }] },
  encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
  layer: [{ mark: { type: 'line', point: true }, encoding: { color: { field: 'series', type: 'nominal' } } }, { mark: 'rect' }, { mark: 'text', encoding: { text: { field: 'y' } } }],
  config: { font: FONT_FAMILY },
};

let svgsDrawn: Promise<unknown> = (workerData as ChartThreadData).warmUp ? drawPng(WARM_UP, 1).catch(() => undefined) : Promise.resolve();

port.on('message', (request: ChartRequest) => {
  svgsDrawn = svgsDrawn.then(() => reply(request));
});

/** Resolves when the chart's SVG is drawn; a PNG is answered later, when the thread pool has made it. */
async function reply({ id, spec, format, scale }: ChartRequest): Promise<void> {
  // A chart that fails to compile now fails again, and says so, when it is drawn.
  if (format === 'prepare') return void tryPrepare(spec);
  try {
    const svg = await drawSvg(spec);
    if (format === 'svg') port.postMessage({ id, svg } satisfies ChartReply);
    else pngOf(svg, scale).then((png) => port.postMessage({ id, png } satisfies ChartReply), (error) => answerFailure(id, error));
  } catch (error) {
    answerFailure(id, error);
  }
}

function answerFailure(id: number, error: unknown): void {
  port.postMessage({ id, error: { message: String((error as Error)?.message ?? error), stack: (error as Error)?.stack } } satisfies ChartReply);
}

function tryPrepare(spec: TopLevelSpec): void {
  try {
    prepareChart(spec);
  } catch {
    // told when drawn
  }
}
