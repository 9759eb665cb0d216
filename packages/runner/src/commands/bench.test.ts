import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliEnv, lastLine, root, specml, temporaryFolder } from '../test-kit/test-cli.js';

// The benchmarks themselves take minutes and read the anchors: here, their argument handling and the format of
// what they print, on a tiny run.

const work = temporaryFolder('bench');
const bench = (args: readonly string[]) =>
  spawnSync(process.execPath, [join(root, 'packages/runner/dist/commands/bench.js'), ...args], { cwd: root, env: cliEnv, encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL' });

describe('bench', () => {
  it('refuses a --spec it has no reference for, naming the specs it has', () => {
    const run = bench(['--spec', 'experiments/no-such.yaml', '--pairs', '1']);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('--spec experiments/no-such.yaml: expected one of experiments/baseline.yaml, experiments/lenet5.yaml');
    expect(run.stdout).toBe('');
  });

  it('--predict gives a run\'s predictions per second through ONNX Runtime, tfjs and the native engine, one line each', () => {
    writeFileSync(join(work, 'tiny.yaml'), 'name: tiny\ndata: { trainLimit: 200, testLimit: 100 }\nmodel: { layers: [{ type: flatten }, { type: dense, units: 8, activation: relu }, { type: dense, units: 10, activation: softmax }] }\nepochs: 1\n');
    const trained = specml(['exp', join(work, 'tiny.yaml'), '--runs-dir', join(work, 'runs')]);
    expect(trained.status, trained.stderr).toBe(0);
    const measured = bench(['--predict', lastLine(trained.stdout)]);
    expect(measured.status, measured.stderr).toBe(0);
    const lines = measured.stdout.trim().split('\n');
    expect(lines.map((line) => line.replace(/\d[\d,]*/, 'N'))).toEqual(['ONNX Runtime   N predictions/s', 'tfjs (cpu)     N predictions/s', 'native         N predictions/s']);
    // Each rate is 10,000 test images over a positive time: a number above zero, written with thousands separators.
    for (const line of lines) expect(Number(/(\d[\d,]*) predictions/.exec(line)![1].replaceAll(',', ''))).toBeGreaterThan(0);
  });
});
