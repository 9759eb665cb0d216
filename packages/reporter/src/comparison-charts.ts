import type { TopLevelSpec } from 'vega-lite';
import { FONT_FAMILY } from './fonts.js';
import type { MetricsRecord } from './run-folders.js';

// Vega-Lite specs that compare runs, shared by comparison.png and the dashboard (which renders them in the
// browser). They are drawn to show where runs differ: the axes span the trained epochs' values, not 0–1, and
// the untrained epoch 0 (accuracy ≈ 0.1) is left out unless asked for, so that 0.5 points stay visible.

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const CONFIG = { font: FONT_FAMILY, background: 'white' } as const;

/** One run in a comparison: its label (legend, tooltip) and its metrics.csv rows. */
export interface ComparedSeries {
  readonly label: string;
  readonly rows: readonly MetricsRecord[];
}

export interface CurveOptions {
  /** The metrics.csv columns to draw, one panel each, e.g. ['test_accuracy', 'test_loss']. */
  readonly metrics: readonly string[];
  /** Whether the untrained epoch 0 is drawn (it squeezes the trained epochs together). */
  readonly withEpochZero?: boolean;
  readonly width?: number;
}

/** Per-epoch curves of each run, one panel per metric, overlaid runs coloured alike across panels. */
export function curvesSpec(series: readonly ComparedSeries[], options: CurveOptions): TopLevelSpec {
  const values = series.flatMap((run) =>
    run.rows
      .filter((row) => options.withEpochZero || row.epoch > 0)
      .flatMap((row) => options.metrics.flatMap((metric) => (typeof row[metric as keyof MetricsRecord] === 'number' ? [{ run: run.label, epoch: row.epoch, metric, value: row[metric as keyof MetricsRecord] }] : []))),
  );
  return {
    $schema: SCHEMA,
    data: { values },
    facet: { column: { field: 'metric', type: 'nominal', title: null, sort: [...options.metrics] } },
    spec: {
      width: options.width ?? 360,
      height: 240,
      mark: { type: 'line', point: true, tooltip: true },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 } },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
        color: runColours(series),
      },
    },
    resolve: { scale: { y: 'independent' } },
    config: CONFIG,
  } as TopLevelSpec;
}

/**
 * The runs' colours: in the order given (a comparison's is its ranking, so the legend reads #1, #2, … #10, not
 * #1, #10, #11), each its own for up to 20 runs (Tableau's 20 colours beyond 10; ten repeat).
 */
function runColours(series: readonly ComparedSeries[]) {
  const labels = series.map((run) => run.label);
  return { field: 'run', type: 'nominal', title: null, sort: labels, scale: { domain: labels, scheme: labels.length > 10 ? 'tableau20' : 'tableau10' }, legend: { orient: 'bottom', columns: 1, labelLimit: 600 } } as const;
}

/** A run's final and best value of a metric, and the spread of its trained epochs. */
export interface FinalAndBest {
  readonly label: string;
  readonly final: number;
  readonly best: number;
  /** The lowest and highest value over its trained epochs (epoch ≥ 1). */
  readonly low: number;
  readonly high: number;
}

/** Final, best and spread of a metric per run, from its rows; runs without a trained epoch are left out. */
export function finalAndBest(series: readonly ComparedSeries[], metric: string, goal: 'maximize' | 'minimize' = 'maximize'): FinalAndBest[] {
  return series.flatMap((run) => {
    const values = run.rows.filter((row) => row.epoch > 0).map((row) => row[metric as keyof MetricsRecord]).filter((value): value is number => typeof value === 'number');
    if (values.length === 0) return [];
    const low = Math.min(...values);
    const high = Math.max(...values);
    return [{ label: run.label, final: values.at(-1)!, best: goal === 'maximize' ? high : low, low, high }];
  });
}

/**
 * A sorted dot chart: per run a rule over its trained epochs' spread, a hollow dot at its best and a filled
 * dot at its final value, runs ranked by final value, the axis spanning only what the runs reached.
 */
export function finalAndBestSpec(points: readonly FinalAndBest[], metric: string, width = 560): TopLevelSpec {
  const order = [...points].sort((a, b) => b.final - a.final).map((point) => point.label);
  const y = { field: 'label', type: 'nominal', title: null, sort: order, axis: { labelLimit: 480 } } as const;
  const x = (field: string) => ({ field, type: 'quantitative', title: metric, scale: { zero: false } }) as const;
  return {
    $schema: SCHEMA,
    title: `${metric}: final (filled), best (hollow), spread over the trained epochs`,
    width,
    height: { step: 18 },
    data: { values: points.map((point) => ({ ...point })) },
    layer: [
      { mark: { type: 'rule', color: '#9aa5b1' }, encoding: { y, x: x('low'), x2: { field: 'high' } } },
      { mark: { type: 'point', filled: false, size: 70, color: '#1f77b4' }, encoding: { y, x: x('best'), tooltip: [{ field: 'label' }, { field: 'best', format: '.4f' }] } },
      { mark: { type: 'point', filled: true, size: 50, color: '#1f77b4' }, encoding: { y, x: x('final'), tooltip: [{ field: 'label' }, { field: 'final', format: '.4f' }] } },
    ],
    config: CONFIG,
  } as TopLevelSpec;
}

/** A sweep's trial for the sweep charts: the swept values and the sweep's metric. */
export interface SweptTrial {
  readonly label: string;
  readonly values: Readonly<Record<string, unknown>>;
  readonly metric: number;
}

/**
 * W&B's parallel coordinates: one axis per swept key and a last one for the metric, each scaled to its own
 * range, one line per trial coloured by the metric. Non-numeric values are placed by their order.
 */
export function parallelCoordinatesSpec(trials: readonly SweptTrial[], keys: readonly string[], metric: string, width = 720): TopLevelSpec {
  const axes = [...keys, metric];
  const positions = axes.map((key) => {
    if (key === metric) return (trial: SweptTrial) => trial.metric;
    const raw = trials.map((trial) => trial.values[key]);
    if (raw.every((value) => typeof value === 'number')) return (trial: SweptTrial) => trial.values[key] as number;
    const distinct = [...new Set(raw.map((value) => JSON.stringify(value)))];
    return (trial: SweptTrial) => distinct.indexOf(JSON.stringify(trial.values[key]));
  });
  const values = trials.flatMap((trial, index) =>
    axes.map((key, axis) => ({ trial: trial.label, index, key, axis, raw: key === metric ? trial.metric : JSON.stringify(trial.values[key]), position: positions[axis](trial), metric: trial.metric })),
  );
  // Each axis scaled to its own min..max (the window transforms), as parallel coordinates are read.
  return {
    $schema: SCHEMA,
    title: `${trials.length} trials: swept values and ${metric}`,
    width,
    height: 280,
    data: { values },
    transform: [
      { joinaggregate: [{ op: 'min', field: 'position', as: 'low' }, { op: 'max', field: 'position', as: 'high' }], groupby: ['key'] },
      { calculate: 'datum.high > datum.low ? (datum.position - datum.low) / (datum.high - datum.low) : 0.5', as: 'scaled' },
    ],
    layer: [
      { mark: { type: 'rule', color: '#ccc' }, encoding: { x: { field: 'key', type: 'nominal', sort: axes, title: null } } },
      {
        mark: { type: 'line', opacity: 0.8, tooltip: true },
        encoding: {
          x: { field: 'key', type: 'nominal', sort: axes, title: null, axis: { labelAngle: 0, labelLimit: 200 } },
          y: { field: 'scaled', type: 'quantitative', axis: null, scale: { domain: [-0.05, 1.05] } },
          detail: { field: 'index', type: 'nominal' },
          color: { field: 'metric', type: 'quantitative', title: metric, scale: { scheme: 'viridis' } },
          tooltip: [{ field: 'trial' }, { field: 'key' }, { field: 'raw', title: 'value' }, { field: 'metric', format: '.4f' }],
        },
      },
      { mark: { type: 'text', dy: -6, fontSize: 9 }, encoding: { x: { field: 'key', type: 'nominal', sort: axes }, y: { field: 'scaled', type: 'quantitative', scale: { domain: [-0.05, 1.05] } }, text: { field: 'raw' }, opacity: { value: 0.5 } } },
    ],
    config: CONFIG,
  } as TopLevelSpec;
}

/** The sweep's metric against each swept key, one small scatter per key (log x for positive ranges over two decades). */
export function metricScatterSpec(trials: readonly SweptTrial[], keys: readonly string[], metric: string): TopLevelSpec {
  const panels = keys.map((key) => {
    const numbers = trials.map((trial) => trial.values[key]).filter((value): value is number => typeof value === 'number');
    const numeric = numbers.length === trials.length && trials.length > 0;
    const logScale = numeric && Math.min(...numbers) > 0 && Math.max(...numbers) / Math.min(...numbers) >= 100;
    return {
      width: 220,
      height: 180,
      data: { values: trials.map((trial) => ({ trial: trial.label, value: numeric ? trial.values[key] : JSON.stringify(trial.values[key]), metric: trial.metric })) },
      mark: { type: 'point', filled: true, tooltip: true },
      encoding: {
        x: { field: 'value', type: numeric ? 'quantitative' : 'nominal', title: key, scale: logScale ? { type: 'log' } : { zero: false } },
        y: { field: 'metric', type: 'quantitative', title: metric, scale: { zero: false } },
      },
    };
  });
  return { $schema: SCHEMA, hconcat: panels, config: CONFIG } as TopLevelSpec;
}
