import type { TopLevelSpec } from 'vega-lite';
import { FONT_FAMILY, fontFiles } from './fonts.js';

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
      color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom', columns: 1, labelLimit: 600 } },
    },
    config: { font: FONT_FAMILY, background: 'white' },
  };
}

/**
 * A Vega-Lite spec as SVG. Vega and Vega-Lite (about 0.2 s to import) load on the first chart, not when
 * the program starts: commands that draw nothing never pay for them.
 */
export async function renderVegaLiteSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** Renders a Vega-Lite spec to PNG bytes: SVG from Vega, rasterised by resvg with the npm-shipped font. */
export async function renderVegaLitePng(spec: TopLevelSpec, scale = 2): Promise<Buffer> {
  const svg = await renderVegaLiteSvg(spec);
  const { Resvg } = await import('@resvg/resvg-js');
  const png = new Resvg(svg, {
    font: { fontFiles: fontFiles(), loadSystemFonts: false, defaultFontFamily: FONT_FAMILY },
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
  }).render();
  return png.asPng();
}
