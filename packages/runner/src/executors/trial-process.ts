import { isUserError } from '@specml/data';
import { TrainingDivergedError } from '@specml/trainer';
import { resumeExperiment, runExperiment, type RunEvents } from '../run/run-experiment.js';
import { runFailure } from '../run/run-folder-error.js';
import type { ParentMessage, TrialMessage } from './local-pool.js';
import { readTrialSummary, type TrialOutcome, type TrialRequest } from './trial-executor.js';

/**
 * The child side of the local pool: takes trials from the parent over IPC, one after another, runs each
 * exactly as `exp` runs a spec, and reports its folder, every epoch row (waiting for a verdict where the
 * sweep stops trials early) and how it ended. Returns when the parent closes the channel or on a stop.
 */
export async function serveTrials(signal: AbortSignal): Promise<void> {
  const inbox: ParentMessage[] = [];
  const waiting: Array<(message: ParentMessage | undefined) => void> = [];
  process.on('message', (message: ParentMessage) => (waiting.length ? waiting.shift()!(message) : inbox.push(message)));
  // The channel closing, or a stop while waiting between trials, ends the wait (a stop must not leave an idle process behind).
  const wakeAll = () => waiting.splice(0).forEach((wake) => wake(undefined));
  process.on('disconnect', wakeAll);
  signal.addEventListener('abort', wakeAll, { once: true });
  const next = () =>
    new Promise<ParentMessage | undefined>((resolve) => (inbox.length ? resolve(inbox.shift()) : process.connected && !signal.aborted ? waiting.push(resolve) : resolve(undefined)));
  const send = (message: TrialMessage) => new Promise<void>((done) => (process.connected ? process.send!(message, () => done()) : done()));
  // A stop (a signal, the parent gone) ends the loop after the trial it interrupted, not at the next message.
  while (!signal.aborted) {
    const message = await next();
    if (message?.type !== 'run') break;
    await send({ type: 'done', outcome: await runTrial(message.request, signal, send, next) });
  }
  if (process.connected) process.disconnect();
}

async function runTrial(request: TrialRequest, signal: AbortSignal, send: (message: TrialMessage) => Promise<void>, next: () => Promise<ParentMessage | undefined>): Promise<TrialOutcome> {
  let runDir: string | null = request.resumeRunDir ?? null;
  const events: RunEvents = {
    onRunFolder: (dir) => {
      runDir = dir;
      void send({ type: 'start', runDir: dir });
    },
    onEpoch: async (row) => {
      await send({ type: 'epoch', row });
      if (!request.awaitVerdicts) return undefined;
      const verdict = await next();
      return verdict?.type === 'verdict' && verdict.stop ? 'stop' : 'continue';
    },
    onCheckpoint: (epoch) => send({ type: 'checkpoint', epoch }),
  };
  try {
    // The sweep builds the runs index once, at its end.
    const result = request.resumeRunDir
      ? await resumeExperiment(request.resumeRunDir, { signal, events, updateIndex: false, datasetHash: request.datasetHash, onlyShippedData: request.onlyShippedData })
      : await runExperiment({ specFile: request.specFile, specText: request.specText, overrides: request.overrides, runsDir: request.runsDir, runId: request.runId, updateIndex: false, signal, events, datasetHash: request.datasetHash, onlyShippedData: request.onlyShippedData, refit: request.refit });
    return { status: result.summary.status, runDir: result.dir, summary: result.summary, message: '' };
  } catch (thrown) {
    const { error, runDir: failedIn } = runFailure(thrown);
    const dir = failedIn ?? runDir;
    const status = isUserError(error) ? 'invalid' : error instanceof TrainingDivergedError ? 'diverged' : signal.aborted ? 'interrupted' : 'failed';
    return { status, runDir: dir, summary: readTrialSummary(dir), message: String((error as Error)?.message ?? error).split('\n')[0] };
  }
}
