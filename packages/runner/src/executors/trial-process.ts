import { isUserError } from '@specml/data';
import { TrainingDivergedError } from '@specml/trainer';
import { runExperiment } from '../run-experiment.js';
import type { ParentMessage, TrialMessage } from './local-pool.js';
import { readTrialSummary, type TrialOutcome, type TrialRequest } from './trial-executor.js';

/**
 * The child side of the local pool: waits for one trial from the parent over IPC, runs it exactly as
 * `exp` runs a spec, reports its folder and every epoch row, then how it ended.
 */
export async function serveOneTrial(signal: AbortSignal): Promise<void> {
  const request = await new Promise<TrialRequest>((resolve) => process.once('message', (message: ParentMessage) => message.type === 'run' && resolve(message.request)));
  const send = (message: TrialMessage) => new Promise<void>((done) => process.send!(message, () => done()));
  const verdict = () => new Promise<'stop' | 'continue'>((resolve) => process.once('message', (message: ParentMessage) => resolve(message.type === 'verdict' && message.stop ? 'stop' : 'continue')));
  let runDir: string | null = null;
  let outcome: TrialOutcome;
  try {
    const result = await runExperiment({
      specFile: request.specFile,
      specText: request.specText,
      overrides: request.overrides,
      runsDir: request.runsDir,
      signal,
      events: {
        onRunFolder: (dir) => {
          runDir = dir;
          void send({ type: 'start', runDir: dir });
        },
        onEpoch: async (row) => {
          const answer = request.awaitVerdicts ? verdict() : undefined;
          await send({ type: 'epoch', row });
          return answer;
        },
      },
    });
    outcome = { status: result.summary.status, runDir: result.dir, summary: result.summary, message: '' };
  } catch (error) {
    const dir = (error as { runDir?: string }).runDir ?? runDir;
    const status = isUserError(error)
      ? 'invalid'
      : error instanceof TrainingDivergedError
        ? 'diverged'
        : signal.aborted
          ? 'interrupted'
          : 'failed';
    outcome = { status, runDir: dir, summary: null, message: (error as Error).message.split('\n')[0] };
  }
  await send({ type: 'done', outcome: { ...outcome, summary: outcome.summary ?? readTrialSummary(outcome.runDir) } });
  process.disconnect();
}

