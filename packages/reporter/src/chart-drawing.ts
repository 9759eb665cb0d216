import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileFunction } from 'node:vm';
import type * as Vega from 'vega';
import type * as VegaLite from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { FONT_FAMILY, fontFiles } from './fonts.js';
import { encodePng } from './png.js';

// Drawing a chart in this thread: charts.ts sends every chart to the chart thread (chart-thread.ts), which runs this.

/** What the chart thread is started with: whether to draw a warm-up chart first. */
export interface ChartThreadData {
  readonly warmUp: boolean;
}

/** A chart to draw, from charts.ts; `prepare`: only compile it, for a chart of other rows to come (no reply). */
export interface ChartRequest {
  readonly id: number;
  readonly spec: TopLevelSpec;
  readonly format: 'svg' | 'png' | 'prepare';
  /** PNG pixels per SVG unit. */
  readonly scale: number;
}

/** The chart drawn, or why not (the error's message and stack: an Error does not cross threads whole). */
export interface ChartReply {
  readonly id: number;
  readonly svg?: string;
  readonly png?: Uint8Array;
  readonly error?: { readonly message: string; readonly stack?: string };
}

/** The name a chart's rows get in its compiled form, so that one compiled chart can draw other rows. */
const ROWS = 'rows';
/** How many compiled charts a process keeps: a run draws a handful of kinds, a sweep's trials the same ones again. */
const KEPT_CHARTS = 16;
const compiledCharts = new Map<string, Vega.Runtime>();
let loadedVega: typeof Vega | undefined;
let loadedVegaLite: typeof VegaLite | undefined;

/**
 * Vega and Vega-Lite from the single-file builds their packages ship (vega's build/vega.js, the bundle its
 * own pages load; vega-lite's build/vega-lite.min.js, which the dashboard serves to browsers): the same
 * code and the same pictures as `import('vega')` and `import('vega-lite')`. Those resolve and compile some
 * 300 modules of 60 packages (vega-lite's module imports vega's): about 0.2 s each where these files take
 * 0.05 s and 0.015 s. Every run and every trial process draws, so that difference is on each one's wall
 * time. Both files are UMD modules, given an `exports` to fill and, for Vega-Lite, Vega as its `require`.
 */
function vega(): typeof Vega {
  return (loadedVega ??= singleFileBuild<typeof Vega>('vega', 'vega.js', {}));
}

function vegaLite(): typeof VegaLite {
  return (loadedVegaLite ??= singleFileBuild<typeof VegaLite>('vega-lite', 'vega-lite.min.js', { vega: vega() }));
}

/** A UMD file from the folder of `pkg`'s entry point, run with `requirable` as the only modules it may require. */
function singleFileBuild<T extends object>(pkg: string, fileName: string, requirable: Record<string, unknown>): T {
  const file = join(dirname(fileURLToPath(import.meta.resolve(pkg))), fileName);
  const exports = {} as T;
  const require = (name: string) => {
    if (!(name in requirable)) throw new Error(`${file} asked for ${name}, which it is not given`);
    return requirable[name];
  };
  compileFunction(readFileSync(file, 'utf8'), ['exports', 'module', 'require'], { filename: file })(exports, {}, require);
  return exports;
}

/**
 * A Vega-Lite spec as SVG. A chart whose rows are inline is
 * compiled once per process for every chart that differs from it only in its rows (a sweep's trials draw
 * the same curves of other numbers); the rows go in when it is drawn, and the SVG is the same as compiling
 * it whole.
 */
export async function drawSvg(spec: TopLevelSpec): Promise<string> {
  const { rows, compiled } = compiledWithoutRows(spec);
  const view = new (vega().View)(compiled, { renderer: 'none' });
  if (rows) view.data(ROWS, rows);
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** Compiles a chart ahead of drawing it with other rows (prepareVegaLite). */
export function prepareChart(spec: TopLevelSpec): void {
  compiledWithoutRows(spec);
}

/** A spec's inline rows, and the chart compiled with them left out (to be handed to its view). */
function compiledWithoutRows(spec: TopLevelSpec): { rows?: unknown[]; compiled: Vega.Runtime } {
  const rows = 'data' in spec && spec.data && 'values' in spec.data && Array.isArray(spec.data.values) ? spec.data.values : undefined;
  return { rows, compiled: compiledChart(rows ? { ...spec, data: { name: ROWS } } : spec) };
}

/** The spec compiled by Vega-Lite and parsed by Vega, from this process's last KEPT_CHARTS charts when there. */
function compiledChart(spec: TopLevelSpec): Vega.Runtime {
  const key = JSON.stringify(spec);
  const kept = compiledCharts.get(key);
  if (kept) return kept;
  const runtime = vega().parse(vegaLite().compile(spec).spec);
  compiledCharts.set(key, runtime);
  if (compiledCharts.size > KEPT_CHARTS) compiledCharts.delete(compiledCharts.keys().next().value!);
  return runtime;
}

/** A Vega-Lite spec as PNG bytes: SVG from Vega, rasterised by resvg with the npm-shipped font. */
export async function drawPng(spec: TopLevelSpec, scale: number): Promise<Buffer> {
  return pngOf(await drawSvg(spec), scale);
}

/**
 * SVG as PNG bytes, `scale` pixels per unit. Rasterising and compressing run on Node's thread pool (resvg's
 * renderAsync, zlib's deflate), not in this thread: the chart thread draws the next chart's SVG meanwhile,
 * and a run's curves, confusion matrix and runs index are no longer drawn one after the other.
 */
export async function pngOf(svg: string, scale: number): Promise<Buffer> {
  const image = await rasterise(svg, scale);
  return encodePng(image.pixels, image.width, image.height);
}

/** SVG as pixels, by resvg, with the npm-shipped font, on Node's thread pool. */
export async function rasterise(svg: string, scale: number) {
  const { renderAsync } = await import('@resvg/resvg-js');
  return renderAsync(svg, {
    font: { fontFiles: fontFiles(), loadSystemFonts: false, defaultFontFamily: FONT_FAMILY },
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
  });
}
