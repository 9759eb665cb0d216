import { Worker } from 'node:worker_threads';
import type { TopLevelSpec } from 'vega-lite';
import type { ChartReply, ChartRequest, ChartThreadData } from './chart-drawing.js';
import { FONT_FAMILY } from './fonts.js';

export interface LineSeries {
  readonly name: string;
  readonly points: ReadonlyArray<{ x: number; y: number }>;
}

export interface LineChart {
  readonly title: string;
  readonly xTitle: string;
  readonly yTitle: string;
  readonly series: readonly LineSeries[];
}

/** A line chart with one coloured line per series and a legend, as a Vega-Lite spec (also usable in a page). */
export function lineChartSpec(chart: LineChart): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: chart.title,
    width: 560,
    height: 320,
    data: { values: chart.series.flatMap((series) => series.points.map((point) => ({ series: series.name, x: point.x, y: point.y }))) },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: chart.xTitle, axis: { tickMinStep: 1 } },
      y: { field: 'y', type: 'quantitative', title: chart.yTitle, scale: { zero: false } },
      // In the order given, each its own colour up to 20 series (Tableau's ten repeat beyond ten).
      color: { field: 'series', type: 'nominal', title: null, sort: chart.series.map((series) => series.name), scale: { scheme: chart.series.length > 10 ? 'tableau20' : 'tableau10' }, legend: { orient: 'bottom', columns: 1, labelLimit: 600 } },
    },
    config: { font: FONT_FAMILY, background: 'white' },
  };
}

// Charts are drawn in a thread of their own, so that a run's pictures are drawn while it saves its model.
// `exp` starts it first thing (warmCharts): loading Vega, Vega-Lite and resvg and a first, slow chart (about
// 0.4 s, cold) happen on the other core while the run reads its data and trains, or while a sweep's trial
// processes start (its coordinator draws the runs index's chart at the end), and the charts asked for are
// drawn by warm code (side by side: an iris run 4 % faster than when it started after the imports; a sweep
// the same, its end 0.3 s shorter). A sweep's trial processes start it with their first chart and draw no
// warm-up chart: their cores are already full.

/** The thread's compiled file: tests import the TypeScript sources, which a thread cannot run (`npm test` builds first). */
const CHART_THREAD = new URL(import.meta.url.endsWith('.ts') ? '../dist/chart-thread.js' : './chart-thread.js', import.meta.url);

interface ChartThread {
  readonly worker: Worker;
  readonly waiting: Map<number, { resolve: (reply: ChartReply) => void; reject: (error: Error) => void }>;
}

let thread: ChartThread | undefined;
let lastRequest = 0;

/** Starts the chart thread now, if it has not started: it loads the libraries and warms them on a small chart. */
export function warmCharts(): void {
  chartThread(true);
}

/** A Vega-Lite spec as SVG, drawn by the chart thread. */
export async function renderVegaLiteSvg(spec: TopLevelSpec): Promise<string> {
  return (await draw({ spec, format: 'svg', scale: 1 })).svg!;
}

/** A Vega-Lite spec as PNG bytes, `scale` pixels per unit, drawn by the chart thread. */
export async function renderVegaLitePng(spec: TopLevelSpec, scale = 2): Promise<Buffer> {
  const { png } = await draw({ spec, format: 'png', scale });
  return Buffer.from(png!.buffer, png!.byteOffset, png!.byteLength);
}

/**
 * Has the chart thread compile a chart now, to draw it later with other rows (the same spec, other
 * `data.values`) without compiling it then: a run prepares its pictures while it trains.
 */
export function prepareVegaLite(spec: TopLevelSpec): void {
  // Nothing is awaited: an idle thread does not keep the process alive for it.
  chartThread(false).worker.postMessage({ id: 0, spec, format: 'prepare', scale: 1 } satisfies ChartRequest);
}

function draw(request: Omit<ChartRequest, 'id'>): Promise<ChartReply> {
  const { worker, waiting } = chartThread(false);
  const id = ++lastRequest;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    // A thread with charts to draw keeps the process alive; an idle one does not.
    worker.ref();
    worker.postMessage({ id, ...request } satisfies ChartRequest);
  });
}

function chartThread(warmUp: boolean): ChartThread {
  if (thread) return thread;
  const started: ChartThread = { worker: new Worker(CHART_THREAD, { workerData: { warmUp } satisfies ChartThreadData }), waiting: new Map() };
  const { worker, waiting } = started;
  // A thread that failed fails the charts it was asked for; the next chart starts another.
  const failAll = (error: Error) => {
    if (thread === started) thread = undefined;
    for (const { reject } of waiting.values()) reject(error);
    waiting.clear();
  };
  worker.on('message', (reply: ChartReply) => {
    const asked = waiting.get(reply.id);
    waiting.delete(reply.id);
    if (waiting.size === 0) worker.unref();
    if (reply.error) asked?.reject(Object.assign(new Error(reply.error.message), { stack: reply.error.stack }));
    else asked?.resolve(reply);
  });
  worker.on('error', failAll);
  worker.on('exit', (code) => failAll(new Error(`the chart thread stopped (exit code ${code})`)));
  worker.unref();
  return (thread = started);
}
