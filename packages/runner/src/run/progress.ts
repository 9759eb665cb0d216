import cliProgress from 'cli-progress';
import type { BackendSelection, EpochMetrics } from '@specml/trainer';

/** What a run tells the person watching it. */
export interface RunProgress {
  backend(selection: BackendSelection): void;
  epochStart(epoch: number, samples: number): void;
  samplesDone(done: number): void;
  epochEnd(metrics: EpochMetrics): void;
  stop(): void;
}

const percent = (value: number) => value.toFixed(4);

export function describeEpoch(metrics: EpochMetrics, epochs: number): string {
  if (metrics.epoch === 0) return `initial test accuracy: ${percent(metrics.test_accuracy)} (test loss ${metrics.test_loss.toFixed(4)})`;
  return (
    `epoch ${metrics.epoch}/${epochs}: test accuracy ${percent(metrics.test_accuracy)} (test loss ${metrics.test_loss.toFixed(4)}); ` +
    `train accuracy ${percent(metrics.train_accuracy!)} (loss ${metrics.train_loss!.toFixed(4)}); ` +
    `${metrics.epoch_seconds!.toFixed(2)} s, ${Math.round(metrics.samples_per_second!).toLocaleString('en-US')} samples/s` +
    (metrics.validation_accuracy === undefined ? '' : `; validation accuracy ${percent(metrics.validation_accuracy)}`)
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
