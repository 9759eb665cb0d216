#!/usr/bin/env node
/**
 * `npx nx run runner:bench`: a spec through the real CLI (`nx run runner:exp`, as users run it) against the
 * PyTorch program it reproduces, alternately, per backend, in one session on one machine:
 * - experiments/baseline.yaml (the default) against ../shared/anchors/run-reference.sh: whole-run wall time;
 * - experiments/lenet5.yaml (`--spec`) for one epoch against ../shared/anchors/run-lenet5-reference.sh:
 *   seconds per epoch.
 * Prints each pair and the medians: the ratio ours/reference, training samples/s, achieved GFLOP/s,
 * accuracy, peak RSS.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { metricValue } from '@specml/data';
import { anchors, format, median, root, timed } from './bench-kit.js';
import { readRun, type LayerTimings } from '@specml/reporter';

interface Measurement {
  wallSeconds: number;
  /** Seconds of the (first) training epoch. */
  epochSeconds: number | null;
  accuracy: number;
  samplesPerSecond: number | null;
  gflops: number | null;
  peakRssMiB: number | null;
}


/** What a spec is measured against, and how. */
interface Benchmark {
  /** Extra --set overrides for our run. */
  overrides: string[];
  /** The anchor script, run as `bash script PROJECT_DIR ...args`. */
  reference?: { script: string; args: string[] };
  /** Which number the ratio compares. */
  compare: 'wallSeconds' | 'epochSeconds';
}

const BENCHMARKS: Record<string, Benchmark> = {
  'experiments/baseline.yaml': { overrides: [], reference: { script: 'run-reference.sh', args: [] }, compare: 'wallSeconds' },
  'experiments/lenet5.yaml': { overrides: ['epochs=1'], reference: { script: 'run-lenet5-reference.sh', args: ['1'] }, compare: 'epochSeconds' },
};

async function runOurs(spec: string, benchmark: Benchmark, backend: string, runsDir: string): Promise<{ measured: Measurement; layers: string | null }> {
  const sets = benchmark.overrides.flatMap((override) => ['--set', override]);
  const run = timed('npx', ['nx', 'run', 'runner:exp', spec, '--backend', backend, '--runs-dir', runsDir, ...sets]);
  const dir = run.stdout.split('\n').map((line) => line.trim()).filter((line) => line.startsWith(runsDir)).at(-1);
  if (!dir) throw new Error(`no run folder in the output:\n${run.stdout}`);
  // The run folder, read through the reporter like every other reader of one.
  const { summary, metrics } = readRun(dir);
  const column = (name: string) => metrics.slice(1).map((row) => metricValue(row, name));
  const samplesPerSecond = median(column('samples_per_second'));
  const measured = {
    wallSeconds: run.wallSeconds,
    epochSeconds: column('epoch_seconds')[0],
    accuracy: summary.final?.test_accuracy ?? Number.NaN,
    samplesPerSecond,
    gflops: (samplesPerSecond * (await trainingFlopsPerImage(join(dir, 'spec.yaml')))) / 1e9,
    // The training process itself (Nx, the launcher around it, is left out).
    peakRssMiB: summary.peakRssMiB ?? run.peakRssMiB,
  };
  return { measured, layers: summary.layerTimings ? describeLayers(summary.layerTimings) : null };
}

/** Where training time went, layer by layer: forward + backward seconds and GFLOP/s, then the parameter updates. */
function describeLayers({ layers, optimizerSeconds }: LayerTimings): string {
  const rate = (gflops: number | null) => (gflops === null ? '' : `, ${format(gflops, 1)}`);
  const parts = layers.map((layer, index) => `${index + 1} ${layer.layer} ${format(layer.forwardSeconds)} + ${format(layer.backwardSeconds)} s${layer.forwardGflops === null ? '' : ` (${format(layer.forwardGflops, 1)}${rate(layer.backwardGflops)} GFLOP/s)`}`);
  return `  training per layer, forward + backward: ${parts.join(' | ')} | updates ${format(optimizerSeconds)} s`;
}

/** FLOPs to train on one image: forward multiply-adds × 2 FLOPs × 3 (forward, and backward's two products). */
async function trainingFlopsPerImage(resolvedSpec: string): Promise<number> {
  const { forwardMultiplyAdds } = await import('@specml/model-zoo');
  const { loadSpec } = await import('../spec/load-spec.js');
  const { spec } = loadSpec(resolvedSpec);
  return 6 * forwardMultiplyAdds(spec.model, { inputShape: [28, 28, 1] });
}

function runReference(reference: NonNullable<Benchmark['reference']>): Measurement {
  const run = timed('bash', [join(anchors, reference.script), root, ...reference.args]);
  const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
  return {
    wallSeconds: result.wall_s,
    epochSeconds: result.epoch_s?.[0] ?? null,
    accuracy: result.accuracy.at(-1),
    samplesPerSecond: result.epoch_s ? 60000 / result.epoch_s[0] : null,
    gflops: null,
    peakRssMiB: result.max_rss_kb ? result.max_rss_kb / 1024 : run.peakRssMiB,
  };
}

function referenceAvailable(reference: Benchmark['reference']): string | null {
  if (!reference) return 'no PyTorch reference for this spec';
  const referenceScript = join(anchors, reference.script);
  if (!existsSync(referenceScript)) return `no reference script at ${referenceScript}`;
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch, torchvision, matplotlib'], { encoding: 'utf8' });
  if (probe.status !== 0) return 'PyTorch is missing (apt-get install -y python3-torch python3-torchvision python3-matplotlib)';
  return null;
}


function describe(label: string, m: Measurement): string {
  const epoch = m.epochSeconds === null ? '' : `, epoch ${format(m.epochSeconds)} s`;
  const speed = m.samplesPerSecond === null ? '' : `, ${Math.round(m.samplesPerSecond).toLocaleString('en-US')} samples/s`;
  const gflops = m.gflops === null ? '' : `, ${format(m.gflops, 1)} GFLOP/s`;
  return `${label}: wall ${format(m.wallSeconds)} s${epoch}${speed}${gflops}, accuracy ${format(m.accuracy, 4)}, peak RSS ${format(m.peakRssMiB, 0)} MiB`;
}

/**
 * Where a tfjs training step's time goes: kernels per step, mean µs per kernel, and the costliest kernels,
 * for the baseline's model at batch 15 on the given tfjs backend.
 */
async function profileTfjsStep(backend: 'wasm' | 'cpu' | 'tensorflow') {
  const tf = await import('@tensorflow/tfjs-core');
  const { createRng, loadDataset, randomPermutation } = await import('@specml/data');
  const { denseStackOf, initialWeights } = await import('@specml/model-zoo');
  const { classificationObjective, selectBackend, TfjsEngine } = await import('@specml/trainer');
  const { loadSpec } = await import('../spec/load-spec.js');
  const { spec } = loadSpec(join(root, 'experiments/baseline.yaml'));
  await selectBackend(backend, () => ({ ok: false, reason: 'profiling the tfjs path' }));
  const dataset = await loadDataset(spec.data);
  const input = { inputShape: dataset.inputShape };
  const rng = createRng(spec.seed);
  const engine = new TfjsEngine(backend, denseStackOf(spec.model, input)!, initialWeights(spec.model, input, rng), spec.optimizer, dataset.train, spec.batchSize, classificationObjective(dataset.classNames.length));
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

/**
 * A sweep with its earlyStop and the same sweep without it (same seed, so the same trials), each through
 * `nx run runner:exp`: total wall time, the best metric, and how many trials were stopped.
 */
async function benchEarlyStopping(specFile: string) {
  const { parse, stringify } = await import('yaml');
  const runsDir = mkdtempSync(join(tmpdir(), 'specml-bench-search-'));
  const withoutEarlyStop = join(runsDir, 'without-early-stop.yaml');
  const spec = parse(readFileSync(join(root, specFile), 'utf8'));
  delete spec.sweep.earlyStop;
  writeFileSync(withoutEarlyStop, stringify(spec));
  spawnSync('npx', ['nx', 'run', 'runner:build'], { cwd: root, stdio: 'ignore' });
  try {
    const measure = (file: string) => {
      const run = timed('npx', ['nx', 'run', 'runner:exp', file, '--runs-dir', join(runsDir, 'runs')]);
      const best = /^best: trial (\d+), (\S+) ([\d.]+)/m.exec(run.stdout);
      const stopped = (run.stdout.match(/: stopped, /g) ?? []).length;
      return { seconds: run.wallSeconds, best: best ? Number(best[3]) : Number.NaN, metric: best?.[2] ?? '?', stopped };
    };
    const stopping = measure(join(root, specFile));
    const full = measure(withoutEarlyStop);
    console.log(`\n== ${specFile}: with earlyStop vs without (same seed, same trials) ==`);
    console.log(`with earlyStop: ${format(stopping.seconds)} s, best ${stopping.metric} ${format(stopping.best, 4)}, ${stopping.stopped} trials stopped early`);
    console.log(`without:        ${format(full.seconds)} s, best ${full.metric} ${format(full.best, 4)}`);
    console.log(`wall-time ratio ${format(stopping.seconds / full.seconds)}; best metric ${format((stopping.best - full.best) * 100, 2)} points apart`);
  } finally {
    rmSync(runsDir, { recursive: true, force: true });
  }
}

async function main() {
  const program = new Command('bench')
    .option('--spec <file>', `the spec to measure: ${Object.keys(BENCHMARKS).join(' or ')}`, 'experiments/baseline.yaml')
    .option('--pairs <n>', 'alternating runs of ours and the reference', '3')
    .option('--backends <list>', 'comma-separated backends to measure', 'native,wasm')
    .option('--profile-only', 'only profile a tfjs training step on wasm (no full runs)')
    .option('--search <file>', 'instead: a sweep with earlyStop against the same sweep without it (e.g. experiments/search.yaml)')
    .option('--queue', 'instead: an 8-trial sweep of --spec through a local Redis queue (2 workers, 1 worker) against the local pool')
    .option('--predict <run-folder>', 'instead: predictions per second on the test set through ONNX Runtime (the export), tfjs and the native engine')
    .option('--searchers', 'instead: our random and Bayesian search against Optuna\'s samplers on standard test functions (40 trials, 20 seeds)')
    .option('--text', 'instead: experiments/own-text.yaml and own-text-sequence.yaml against scikit-learn\'s TfidfVectorizer + LogisticRegression on the same split, accuracy and wall time')
    .option('--small-sweep', 'instead: the anchor run-small-sweep-reference.sh\'s 16-trial sweep on iris against Optuna + scikit-learn (--pairs rounds), and where the wall time went')
    .option('--sweep-scaling [trials]', 'instead: the anchor\'s small sweep with 16 trials and with this many (default 256): wall-time ratio and the coordinator\'s peak memory')
    .option('--folder [dir]', 'instead: the tutorial MLP on MNIST as 70,000 PNG files (written to dir, default /tmp/mnist-folders) against torchvision\'s ImageFolder, first run and cached')
    .parse();
  const { spec, pairs, backends, profileOnly, search, queue, predict, searchers, folder, text, smallSweep, sweepScaling } = program.opts<{ spec: string; pairs: string; backends: string; profileOnly?: boolean; search?: string; queue?: boolean; predict?: string; searchers?: boolean; folder?: string | true; text?: boolean; smallSweep?: boolean; sweepScaling?: string | true }>();
  if (text) return (await import('./bench-text.js')).benchText(Math.max(1, Number(pairs)));
  if (smallSweep) return (await import('./bench-small-sweep.js')).benchSmallSweep(Math.max(1, Number(pairs)));
  if (sweepScaling) return (await import('./bench-small-sweep.js')).benchSweepScaling(sweepScaling === true ? 256 : Math.max(16, Number(sweepScaling)));
  if (searchers) return (await import('./bench-searchers.js')).benchSearchers();
  if (folder) return (await import('./bench-folder.js')).benchFolder(folder === true ? '/tmp/mnist-folders' : resolve(process.env.INIT_CWD || process.cwd(), folder), Math.max(1, Number(pairs)));
  if (predict) return (await import('./bench-predict.js')).benchPredictions(resolve(process.env.INIT_CWD || process.cwd(), predict));
  if (profileOnly) return profileTfjsStep('wasm');
  if (search) return benchEarlyStopping(search);
  if (queue) return (await import('./bench-queue.js')).benchQueue(spec);
  const benchmark = BENCHMARKS[spec];
  if (!benchmark) throw new Error(`--spec ${spec}: expected one of ${Object.keys(BENCHMARKS).join(', ')}`);
  await benchSpec(spec, benchmark, Math.max(1, Number(pairs)), backends.split(','));
  if (spec === 'experiments/baseline.yaml' && backends.split(',').includes('wasm')) await profileTfjsStep('wasm');
}

/** `--spec`: our runs of a spec on each backend, alternated with its PyTorch reference, and their median ratio. */
async function benchSpec(spec: string, benchmark: Benchmark, pairCount: number, backends: readonly string[]) {
  const missing = referenceAvailable(benchmark.reference);
  if (missing) console.log(`reference skipped: ${missing}`);
  const runsDir = mkdtempSync(join(tmpdir(), 'specml-bench-'));
  // Build once, outside the measurements.
  spawnSync('npx', ['nx', 'run', 'runner:build'], { cwd: root, stdio: 'ignore' });
  const compared = benchmark.compare;
  try {
    for (const backend of backends) {
      console.log(`\n== ${spec} on ${backend}: ${pairCount} pair(s) via \`nx run runner:exp\` vs PyTorch; ratio of ${compared === 'wallSeconds' ? 'wall time' : 'seconds per epoch'} ==`);
      const ours: Measurement[] = [];
      const reference: Measurement[] = [];
      for (let pair = 1; pair <= pairCount; pair++) {
        const { measured: mine, layers } = await runOurs(spec, benchmark, backend, runsDir);
        ours.push(mine);
        let line = `pair ${pair}: ${describe('ours', mine)}`;
        if (!missing) {
          const theirs = runReference(benchmark.reference!);
          reference.push(theirs);
          line += ` | ${describe('pytorch', theirs)} | ratio ${format(mine[compared]! / theirs[compared]!)}`;
        }
        console.log(layers ? `${line}\n${layers}` : line);
      }
      const medianOf = (list: Measurement[], key: keyof Measurement) => (list[0][key] === null ? null : median(list.map((m) => m[key] as number)));
      const summary = [describe('median ours', Object.fromEntries(Object.keys(ours[0]).map((key) => [key, medianOf(ours, key as keyof Measurement)])) as unknown as Measurement)];
      if (reference.length) {
        summary.push(
          describe('median pytorch', Object.fromEntries(Object.keys(reference[0]).map((key) => [key, medianOf(reference, key as keyof Measurement)])) as unknown as Measurement),
          `median ratio ours/pytorch (${backend}, ${compared}): ${format(median(ours.map((m, i) => m[compared]! / reference[i][compared]!)))}`,
        );
      }
      console.log(summary.join('\n'));
    }
  } finally {
    rmSync(runsDir, { recursive: true, force: true });
  }
}

await main();
