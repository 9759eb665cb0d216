#!/usr/bin/env node
/**
 * `npx nx run runner:bench`: the baseline through the real CLI (`nx run runner:exp`, as users run it) against
 * the PyTorch tutorial it reproduces (../shared/anchors/run-reference.sh), alternately, per backend.
 * Prints each pair and the medians: wall-time ratio ours/reference, training samples/s, final accuracy,
 * peak RSS. Timings are only compared within this one session on this one machine.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';

interface Measurement {
  wallSeconds: number;
  accuracy: number;
  samplesPerSecond: number | null;
  peakRssMiB: number | null;
}

const root = resolve(import.meta.dirname, '../../..');
const referenceScript = resolve(root, '../shared/anchors/run-reference.sh');
const TIME = '/usr/bin/time';

function timed(command: string, args: string[]): { wallSeconds: number; stdout: string; stderr: string; peakRssMiB: number | null } {
  const withTime = existsSync(TIME);
  const started = performance.now();
  const result = withTime
    ? spawnSync(TIME, ['-f', 'bench_max_rss_kb=%M', command, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0', NX_DEFAULT_OUTPUT_STYLE: 'static' } })
    : spawnSync(command, args, { cwd: root, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  const wallSeconds = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  const rss = /bench_max_rss_kb=(\d+)/.exec(result.stderr);
  return { wallSeconds, stdout: result.stdout, stderr: result.stderr, peakRssMiB: rss ? Number(rss[1]) / 1024 : null };
}

function runOurs(backend: string, runsDir: string): Measurement {
  const run = timed('npx', ['nx', 'run', 'runner:exp', 'experiments/baseline.yaml', '--backend', backend, '--runs-dir', runsDir]);
  const dir = run.stdout.split('\n').map((line) => line.trim()).filter((line) => line.startsWith(runsDir)).at(-1);
  if (!dir) throw new Error(`no run folder in the output:\n${run.stdout}`);
  const rows = readFileSync(join(dir, 'metrics.csv'), 'utf8').trim().split('\n').slice(2).map((line) => line.split(',').map(Number));
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  return {
    wallSeconds: run.wallSeconds,
    accuracy: summary.final.test_accuracy,
    samplesPerSecond: median(rows.map((row) => row[6])),
    peakRssMiB: run.peakRssMiB ?? summary.peakRssMiB,
  };
}

function runReference(): Measurement {
  const run = timed('bash', [referenceScript, root]);
  const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
  return { wallSeconds: result.wall_s, accuracy: result.accuracy.at(-1), samplesPerSecond: null, peakRssMiB: result.max_rss_kb / 1024 };
}

function referenceAvailable(): string | null {
  if (!existsSync(referenceScript)) return `no reference script at ${referenceScript}`;
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch, torchvision, matplotlib'], { encoding: 'utf8' });
  if (probe.status !== 0) return 'PyTorch is missing (apt-get install -y python3-torch python3-torchvision python3-matplotlib)';
  return null;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const format = (value: number | null, digits = 2) => (value === null ? '-' : value.toFixed(digits));

function describe(label: string, m: Measurement): string {
  const speed = m.samplesPerSecond === null ? '' : `, ${Math.round(m.samplesPerSecond).toLocaleString('en-US')} samples/s`;
  return `${label}: ${format(m.wallSeconds)} s, accuracy ${format(m.accuracy, 4)}${speed}, peak RSS ${format(m.peakRssMiB, 0)} MiB`;
}

/**
 * Where a tfjs training step's time goes: kernels per step, mean µs per kernel, and the costliest kernels,
 * for the baseline's model at batch 15 on the given tfjs backend.
 */
async function profileTfjsStep(backend: 'wasm' | 'cpu' | 'tensorflow') {
  const tf = await import('@tensorflow/tfjs-core');
  const { createRng, loadDataset, randomPermutation } = await import('@specml/data');
  const { denseStackOf, initialWeights } = await import('@specml/model-zoo');
  const { selectBackend, TfjsEngine } = await import('@specml/trainer');
  const { loadSpec } = await import('./load-spec.js');
  const { spec } = loadSpec(join(root, 'experiments/baseline.yaml'));
  await selectBackend(backend, () => ({ ok: false, reason: 'profiling the tfjs path' }));
  const dataset = loadDataset(spec.data);
  const input = { imageShape: dataset.imageShape };
  const rng = createRng(spec.seed);
  const engine = new TfjsEngine(backend, denseStackOf(spec.model, input)!, initialWeights(spec.model, input, rng), spec.optimizer, dataset.train, spec.batchSize);
  const order = randomPermutation(dataset.train.count, rng);
  const step = spec.batchSize;
  engine.trainRange(order, 0, 100 * step); // warm-up
  const steps = 300;
  const started = performance.now();
  engine.trainRange(order, 100 * step, (100 + steps) * step);
  const msPerStep = (performance.now() - started) / steps;
  const profile = await tf.profile(() => void engine.trainRange(order, 0, step));
  const kernels = await Promise.all(profile.kernels.map(async (kernel) => ({ name: kernel.name, ms: Number(await kernel.kernelTimeMs), shapes: JSON.stringify(kernel.inputShapes) })));
  kernels.sort((a, b) => b.ms - a.ms);
  engine.dispose();
  console.log(`\n== tfjs path on ${backend}: where a training step goes (baseline model, batch ${step}) ==`);
  console.log(`${msPerStep.toFixed(2)} ms per step = ${Math.round((step * 1000) / msPerStep).toLocaleString('en-US')} samples/s; ${kernels.length} kernels per step, ${((msPerStep * 1000) / kernels.length).toFixed(1)} µs per kernel on average`);
  for (const kernel of kernels.slice(0, 5)) console.log(`  ${kernel.name} ${kernel.shapes}: ${kernel.ms.toFixed(3)} ms`);
}

async function main() {
  const program = new Command('bench')
    .option('--pairs <n>', 'alternating runs of ours and the reference', '3')
    .option('--backends <list>', 'comma-separated backends to measure', 'native,wasm')
    .option('--profile-only', 'only profile a tfjs training step on wasm (no full runs)')
    .parse();
  const { pairs, backends, profileOnly } = program.opts<{ pairs: string; backends: string; profileOnly?: boolean }>();
  if (profileOnly) return profileTfjsStep('wasm');
  const pairCount = Math.max(1, Number(pairs));
  const missing = referenceAvailable();
  if (missing) console.log(`reference skipped: ${missing}`);
  const runsDir = mkdtempSync(join(tmpdir(), 'specml-bench-'));
  // Build once, outside the measurements.
  spawnSync('npx', ['nx', 'run', 'runner:build'], { cwd: root, stdio: 'ignore' });
  try {
    for (const backend of backends.split(',')) {
      console.log(`\n== backend ${backend}: ${pairCount} pair(s), baseline via \`nx run runner:exp\` vs the PyTorch script ==`);
      const ours: Measurement[] = [];
      const reference: Measurement[] = [];
      for (let pair = 1; pair <= pairCount; pair++) {
        const mine = runOurs(backend, runsDir);
        ours.push(mine);
        let line = `pair ${pair}: ${describe('ours', mine)}`;
        if (!missing) {
          const theirs = runReference();
          reference.push(theirs);
          line += ` | ${describe('pytorch', theirs)} | ratio ${format(mine.wallSeconds / theirs.wallSeconds)}`;
        }
        console.log(line);
      }
      const medianOf = (list: Measurement[], key: keyof Measurement) => median(list.map((m) => m[key] as number));
      const summary = [
        `median ours: ${format(medianOf(ours, 'wallSeconds'))} s, accuracy ${format(medianOf(ours, 'accuracy'), 4)}, ${Math.round(medianOf(ours, 'samplesPerSecond')).toLocaleString('en-US')} samples/s, peak RSS ${format(medianOf(ours, 'peakRssMiB'), 0)} MiB`,
      ];
      if (reference.length) {
        summary.push(
          `median pytorch: ${format(medianOf(reference, 'wallSeconds'))} s, accuracy ${format(medianOf(reference, 'accuracy'), 4)}, peak RSS ${format(medianOf(reference, 'peakRssMiB'), 0)} MiB`,
          `median wall-time ratio ours/pytorch (${backend}): ${format(median(ours.map((m, i) => m.wallSeconds / reference[i].wallSeconds)))}`,
        );
      }
      console.log(summary.join('\n'));
    }
  } finally {
    rmSync(runsDir, { recursive: true, force: true });
  }
  await profileTfjsStep('wasm');
}

await main();
