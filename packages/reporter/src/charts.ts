import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileFunction } from 'node:vm';
import type * as Vega from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import { FONT_FAMILY, fontFiles } from './fonts.js';
import { encodePng } from './png.js';

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

/** The name a chart's rows get in its compiled form, so that one compiled chart can draw other rows. */
const ROWS = 'rows';
/** How many compiled charts a process keeps: a run draws a handful of kinds, a sweep's trials the same ones again. */
const KEPT_CHARTS = 16;
const compiledCharts = new Map<string, Vega.Runtime>();
let loadedVega: typeof Vega | undefined;

/**
 * Vega from the single-file build its package ships (build/vega.js, the bundle its own pages load): the
 * same code and the same pictures as `import('vega')`, which resolves and compiles some 300 modules of 60
 * packages in about 0.2 s where this one file takes about 0.05 s. Every run and every trial process draws,
 * so that difference is on each one's wall time. The file is a UMD module, given an `exports` to fill.
 */
function vega(): typeof Vega {
  if (loadedVega) return loadedVega;
  const file = join(dirname(fileURLToPath(import.meta.resolve('vega'))), 'vega.js');
  const exports = {} as typeof Vega;
  compileFunction(readFileSync(file, 'utf8'), ['exports', 'module'], { filename: file })(exports, {});
  return (loadedVega = exports);
}

/**
 * A Vega-Lite spec as SVG. Vega and Vega-Lite load on the first chart, not when the program starts:
 * commands that draw nothing never pay for them. A chart whose rows are inline is
 * compiled once per process for every chart that differs from it only in its rows (a sweep's trials draw
 * the same curves of other numbers); the rows go in when it is drawn, and the SVG is the same as compiling
 * it whole.
 */
export async function renderVegaLiteSvg(spec: TopLevelSpec): Promise<string> {
  const rows = 'data' in spec && spec.data && 'values' in spec.data && Array.isArray(spec.data.values) ? spec.data.values : undefined;
  const view = new (vega().View)(await compiledChart(rows ? { ...spec, data: { name: ROWS } } : spec), { renderer: 'none' });
  if (rows) view.data(ROWS, rows);
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** The spec compiled by Vega-Lite and parsed by Vega, from this process's last KEPT_CHARTS charts when there. */
async function compiledChart(spec: TopLevelSpec): Promise<Vega.Runtime> {
  const key = JSON.stringify(spec);
  const kept = compiledCharts.get(key);
  if (kept) return kept;
  const { compile } = await import('vega-lite');
  const runtime = vega().parse(compile(spec).spec);
  compiledCharts.set(key, runtime);
  if (compiledCharts.size > KEPT_CHARTS) compiledCharts.delete(compiledCharts.keys().next().value!);
  return runtime;
}

/** Renders a Vega-Lite spec to PNG bytes: SVG from Vega, rasterised by resvg with the npm-shipped font. */
export async function renderVegaLitePng(spec: TopLevelSpec, scale = 2): Promise<Buffer> {
  const image = await rasterise(await renderVegaLiteSvg(spec), scale);
  return encodePng(image.pixels, image.width, image.height);
}

/** SVG as pixels, by resvg, with the npm-shipped font. */
export async function rasterise(svg: string, scale: number) {
  const { Resvg } = await import('@resvg/resvg-js');
  return new Resvg(svg, {
    font: { fontFiles: fontFiles(), loadSystemFonts: false, defaultFontFamily: FONT_FAMILY },
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
  }).render();
}
