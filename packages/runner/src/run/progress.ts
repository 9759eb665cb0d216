import cliProgress from 'cli-progress';
import { basename } from 'node:path';
import { describeTestMetrics, printable, type ReadingProgress } from '@specml/data';
import type { BackendSelection, EpochMetrics } from '@specml/trainer';

/** What a run tells the person watching it. */
export interface RunProgress {
  backend(selection: BackendSelection): void;
  epochStart(epoch: number, samples: number): void;
  samplesDone(done: number): void;
  epochEnd(metrics: EpochMetrics): void;
  stop(): void;
}

const fixed = (value: number | undefined) => (typeof value === 'number' ? value.toFixed(4) : '-');

export function describeEpoch(metrics: EpochMetrics, epochs: number): string {
  const regression = metrics.test_rmse !== undefined;
  if (metrics.epoch === 0) {
    const result = regression ? `test rmse: ${fixed(metrics.test_rmse)}, r2 ${fixed(metrics.test_r2)}` : `test accuracy: ${fixed(metrics.test_accuracy)}`;
    return `initial ${result} (test loss ${fixed(metrics.test_loss)})`;
  }
  const train = regression ? `train loss ${fixed(metrics.train_loss)}` : `train accuracy ${fixed(metrics.train_accuracy)} (loss ${fixed(metrics.train_loss)})`;
  const validation = regression
    ? metrics.validation_rmse === undefined ? '' : `; validation rmse ${fixed(metrics.validation_rmse)}, r2 ${fixed(metrics.validation_r2)}`
    : metrics.validation_accuracy === undefined ? '' : `; validation accuracy ${fixed(metrics.validation_accuracy)}`;
  return (
    `epoch ${metrics.epoch}/${epochs}: ${describeTestMetrics(metrics)} (test loss ${fixed(metrics.test_loss)}); ${train}; ` +
    `${metrics.epoch_seconds!.toFixed(2)} s, ${Math.round(metrics.samples_per_second!).toLocaleString('en-US')} samples/s${validation}`
  );
}

/**
 * On a terminal: a progress bar per epoch with samples/s and ETA. Elsewhere (CI, pipes): one plain line
 * per epoch. Either way each epoch ends with its metrics line.
 */
export function createProgress(epochs: number, stream: NodeJS.WriteStream = process.stderr): RunProgress {
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const interactive = Boolean(stream.isTTY) && process.env.CI !== 'true';
  let bar: cliProgress.SingleBar | undefined;
  let started = 0;
  return {
    backend: (selection) => {
      const detail =
        selection.name === 'native'
          ? ` (the saved model is built with tfjs ${selection.tfjsBackend})`
          : selection.nativeRefusal
            ? ` (the native engine cannot train this spec: ${selection.nativeRefusal})`
            : '';
      log(`backend: ${selection.name}${detail}`);
    },
    epochStart: (epoch, samples) => {
      started = performance.now();
      if (!interactive) return;
      bar = new cliProgress.SingleBar(
        {
          stream,
          format: `epoch ${epoch}/${epochs} [{bar}] {percentage}% | {value}/{total} samples | {speed} samples/s | ETA {eta_formatted}`,
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 20,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(samples, 0, { speed: '-' });
    },
    samplesDone: (done) => {
      const seconds = (performance.now() - started) / 1000;
      bar?.update(done, { speed: seconds > 0 ? Math.round(done / seconds).toLocaleString('en-US') : '-' });
    },
    epochEnd: (metrics) => {
      bar?.stop();
      bar = undefined;
      log(describeEpoch(metrics, epochs));
    },
    stop: () => bar?.stop(),
  };
}

/**
 * On a terminal, one line that says how far reading a large table file has come (share, rows, rows/s),
 * rewritten in place and cleared when the file is read; elsewhere (CI, pipes) nothing.
 */
export function readingProgress(stream: NodeJS.WriteStream = process.stderr): ReadingProgress | undefined {
  if (!stream.isTTY || process.env.CI === 'true') return undefined;
  return ({ file, bytes, totalBytes, rows, seconds }) => {
    if (bytes >= totalBytes) {
      stream.write('\r\x1b[2K');
      return;
    }
    const speed = seconds > 0 ? `, ${Math.round(rows / seconds).toLocaleString('en-US')} rows/s` : '';
    stream.write(`\rreading ${printable(basename(file))}: ${Math.floor((100 * bytes) / totalBytes)} % (${rows.toLocaleString('en-US')} rows${speed})`);
  };
}
