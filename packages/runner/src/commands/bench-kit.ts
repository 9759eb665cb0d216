import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

// What the benchmarks share: where the project and the anchors are, a timed child process, medians.

export const root = resolve(import.meta.dirname, '../../../..');
export const anchors = resolve(root, '../shared/anchors');
const TIME = '/usr/bin/time';

/** Runs a command from the project root, with its wall time and (where GNU time is installed) its peak RSS. */
export function timed(command: string, args: string[], env: NodeJS.ProcessEnv = {}): { wallSeconds: number; stdout: string; stderr: string; peakRssMiB: number | null } {
  const withTime = existsSync(TIME);
  const started = performance.now();
  const result = withTime
    ? spawnSync(TIME, ['-f', 'bench_max_rss_kb=%M', command, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0', NX_DEFAULT_OUTPUT_STYLE: 'static', ...env } })
    : spawnSync(command, args, { cwd: root, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0', ...env } });
  const wallSeconds = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  const rss = /bench_max_rss_kb=(\d+)/.exec(result.stderr);
  return { wallSeconds, stdout: result.stdout, stderr: result.stderr, peakRssMiB: rss ? Number(rss[1]) / 1024 : null };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export const format = (value: number | null, digits = 2) => (value === null ? '-' : value.toFixed(digits));
