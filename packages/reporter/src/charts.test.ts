import * as vega from 'vega';
import { compile } from 'vega-lite';
import { describe, expect, it } from 'vitest';
import { lineChartSpec, renderVegaLitePng, renderVegaLiteSvg } from './charts.js';

/** The SVG of a spec compiled whole, rows inline, in a fresh view: what every chart looked like before charts were kept. */
async function compiledWhole(spec: Parameters<typeof compile>[0]): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

const curve = (name: string, values: number[]) => ({ name, points: values.map((y, x) => ({ x, y })) });

describe('charts', () => {
  it('draws other rows through a kept chart, with the single-file builds of Vega and Vega-Lite, exactly as their modules compiling the chart whole would', async () => {
    const charts = [
      lineChartSpec({ title: 'accuracy', xTitle: 'epoch', yTitle: 'accuracy', series: [curve('a', [0.1, 0.5, 0.7]), curve('b', [0.2, 0.3, 0.9])] }),
      // Same chart, other rows: other ranges, another series, more points (the axes and legend must follow).
      lineChartSpec({ title: 'accuracy', xTitle: 'epoch', yTitle: 'accuracy', series: [curve('a', [3, 40, 41, 44, 45]), curve('c', [7, 8, 9])] }),
      lineChartSpec({ title: 'accuracy', xTitle: 'epoch', yTitle: 'accuracy', series: [curve('only one', [-1, 1])] }),
    ];
    const drawn = [];
    for (const spec of charts) drawn.push(await renderVegaLiteSvg(spec));
    for (const [index, spec] of charts.entries()) expect(drawn[index]).toBe(await compiledWhole(spec));
    expect(new Set(drawn).size).toBe(3);
    expect(drawn[2]).toContain('only one');
    expect(drawn[2]).not.toContain('>b<');
  });

  it('answers charts asked for at once each with its own, and a chart it cannot draw with the library\'s reason', async () => {
    const specs = [1, 2, 3].map((n) => lineChartSpec({ title: `chart ${n}`, xTitle: 'epoch', yTitle: 'loss', series: [curve('train', [n, n / 2, n / 4])] }));
    const together = await Promise.all(specs.map(renderVegaLiteSvg));
    for (const [index, spec] of specs.entries()) expect(together[index]).toBe(await compiledWhole(spec));
    const broken = { mark: 'nonsense' } as unknown as Parameters<typeof renderVegaLitePng>[0];
    const reason = (() => {
      try {
        compile(broken);
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(reason).toBeTruthy();
    await expect(renderVegaLitePng(broken)).rejects.toThrow(reason);
    const png = await renderVegaLitePng(specs[0]);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  });
});
