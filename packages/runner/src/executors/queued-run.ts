import { createHash } from 'node:crypto';
import { stringify as stringifyYaml } from 'yaml';
import { describeTestMetrics, UserError } from '@specml/data';
import { TrainingDivergedError } from '@specml/trainer';
import type { TrialExecutor } from './trial-executor.js';
import { prepareExperiment, type RunOutcome } from '../run/run-experiment.js';

/** A single run (no sweep) through a queue's workers: validated here, trained there, its folder copied back. */
export async function runOnQueue(specFile: string, overrides: readonly string[], runsDir: string, executor: TrialExecutor, signal: AbortSignal): Promise<RunOutcome> {
  const { spec } = (await prepareExperiment(specFile, overrides)).loaded;
  delete spec.sweep;
  const specText = stringifyYaml(spec);
  // The same spec is the same job: started again while it runs, this attaches to it.
  const id = `run-${createHash('sha256').update(specText).digest('hex').slice(0, 16)}`;
  const outcome = await executor.run(
    { id, specText, specFile, overrides: [], runsDir },
    {
      onStart: (dir) => process.stdout.write(`run ${dir}: queued as ${id}, now training\n`),
      onEpoch: (row, worker) => void (row.epoch > 0 && process.stdout.write(`epoch ${row.epoch}${worker ? ` on ${worker}` : ''}: ${describeTestMetrics(row)}\n`)),
    },
    signal,
  );
  const runDir = outcome.runDir ?? undefined;
  if (outcome.status === 'completed' && outcome.summary && runDir) return { dir: runDir, summary: outcome.summary };
  if (outcome.status === 'invalid') throw new UserError(outcome.message);
  if (outcome.status === 'diverged') throw Object.assign(new TrainingDivergedError(outcome.summary?.epochsCompleted ?? 0), { runDir });
  if (outcome.status === 'interrupted' && signal.aborted) throw Object.assign(signal.reason as Error, { runDir });
  throw Object.assign(new Error(`the run ${outcome.status} on its worker: ${outcome.message}`), { runDir });
}
