import { parseDocument } from 'yaml';
import { UserError } from '@specml/data';
import { gridProposals } from '@specml/search';

/** One key path and the values it takes across a sweep. */
export interface SweepAxis {
  readonly key: string;
  readonly values: readonly unknown[];
}

/** One point of the grid: the overrides that turn the base spec into this trial's spec. */
export interface Trial {
  readonly index: number;
  readonly values: Readonly<Record<string, unknown>>;
  /** `key=value` overrides, the same form as --set (values written as JSON, which is YAML). */
  readonly overrides: readonly string[];
}

/** Most trials one sweep may expand to: a typo in a list should not start thousands of runs. */
export const MAX_TRIALS = 256;

/** `--sweep optimizer.learningRate=0.01,0.001` → an axis; the values are read as a YAML flow list. */
export function parseSweepOption(text: string): SweepAxis {
  const equals = text.indexOf('=');
  const key = text.slice(0, equals).trim();
  if (equals <= 0 || !/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/.test(key)) {
    throw new UserError(`--sweep ${text}: expected key.path=value1,value2 (e.g. --sweep optimizer.learningRate=0.01,0.001)`);
  }
  const doc = parseDocument(`[${text.slice(equals + 1)}]`, { strict: true, uniqueKeys: true });
  const [problem] = [...doc.errors, ...doc.warnings];
  const values = problem ? undefined : (doc.toJS({ maxAliasCount: 0 }) as unknown[]);
  if (!values || values.length === 0 || values.some((value) => value === null)) {
    throw new UserError(`--sweep ${text}: the values must be a comma-separated list, e.g. 0.01,0.001`);
  }
  return { key, values };
}

/** The sweep's axes: the spec's `sweep:` block, with --sweep entries added or replacing the same key. */
export function sweepAxes(block: Record<string, unknown[]> | undefined, options: readonly SweepAxis[]): SweepAxis[] {
  const axes = new Map<string, SweepAxis>(Object.entries(block ?? {}).map(([key, values]) => [key, { key, values }]));
  for (const axis of options) axes.set(axis.key, axis);
  return [...axes.values()];
}

/** The grid: every combination of the axes' values, the first axis varying slowest (the grid search method's order). */
export function expandSweep(axes: readonly SweepAxis[]): Trial[] {
  const count = axes.reduce((product, axis) => product * axis.values.length, 1);
  if (count > MAX_TRIALS) {
    throw new UserError(`sweep: ${axes.map((axis) => axis.values.length).join(' × ')} = ${count} trials, more than the limit of ${MAX_TRIALS} (sweep fewer values)`);
  }
  return gridProposals(Object.fromEntries(axes.map((axis) => [axis.key, { kind: 'values', values: axis.values }]))).map((values, index) => trialOf(index + 1, values));
}

/** A trial from its values: the overrides are `key=value` with the value as JSON (which is YAML). */
export function trialOf(index: number, values: Readonly<Record<string, unknown>>): Trial {
  return { index, values, overrides: Object.entries(values).map(([key, value]) => `${key}=${JSON.stringify(value)}`) };
}
