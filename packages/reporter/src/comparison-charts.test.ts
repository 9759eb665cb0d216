import { describe, expect, it } from 'vitest';
import { curvesSpec } from './comparison-charts.js';

describe('comparison charts', () => {
  it('colours runs in the order given (the ranking), each its own up to 20', () => {
    const series = (count: number) => Array.from({ length: count }, (_, index) => ({ label: `#${index + 1} units=${8 * (index + 1)}`, rows: [{ epoch: 1, test_loss: 1, test_accuracy: 0.5 }] }));
    const colourOf = (count: number) => (curvesSpec(series(count), { metrics: ['test_accuracy'] }) as { spec: { encoding: { color: { sort: string[]; scale: { domain: string[]; scheme: string } } } } }).spec.encoding.color;
    const sixteen = colourOf(16);
    // #1, #2, … #10, not the alphabetical #1, #10, #11.
    expect(sixteen.sort.slice(0, 3)).toEqual(['#1 units=8', '#2 units=16', '#3 units=24']);
    expect(sixteen.scale).toEqual({ domain: sixteen.sort, scheme: 'tableau20' });
    expect(colourOf(3).scale.scheme).toBe('tableau10');
  });
});
