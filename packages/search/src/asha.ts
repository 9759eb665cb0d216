import type { Goal } from './space.js';

export interface SuccessiveHalvingOptions {
  /** The first rung: trials are first compared after this many epochs. */
  readonly minEpochs: number;
  /** Rungs are minEpochs·eta^k epochs apart, and 1/eta of the trials at a rung go on. */
  readonly eta: number;
  readonly goal: Goal;
}

export type Verdict = 'continue' | 'stop';

/**
 * Asynchronous successive halving (Li et al., "A System for Massively Parallel Hyperparameter Tuning",
 * 2020) with Ray Tune's ASHA rule: when a trial reaches a rung (minEpochs·eta^k epochs), it goes on only if
 * its metric is at least the (1 − 1/eta) quantile (linear interpolation, as numpy's percentile) of the
 * metrics recorded at that rung before it, i.e. in the top 1/eta so far; the first trial at a rung goes on.
 * Pure: results in, verdicts out.
 */
export class SuccessiveHalving {
  private readonly recorded = new Map<number, number[]>();

  constructor(readonly options: SuccessiveHalvingOptions) {
    if (!(options.minEpochs >= 1) || !(options.eta >= 2)) throw new RangeError('successive halving needs minEpochs >= 1 and eta >= 2');
  }

  /** The rungs below `maxEpochs` (a trial that reaches maxEpochs is finished anyway). */
  rungs(maxEpochs: number): number[] {
    const rungs: number[] = [];
    for (let epochs = this.options.minEpochs; epochs < maxEpochs; epochs *= this.options.eta) rungs.push(Math.round(epochs));
    return rungs;
  }

  /** The verdict for a trial whose metric after `epoch` epochs is `value` (epochs that are no rung: continue). */
  report(epoch: number, value: number, maxEpochs: number): Verdict {
    if (!this.rungs(maxEpochs).includes(epoch)) return 'continue';
    if (!Number.isFinite(value)) return 'stop';
    const before = this.recorded.get(epoch) ?? [];
    this.recorded.set(epoch, [...before, value]);
    if (before.length === 0) return 'continue';
    const { eta, goal } = this.options;
    const cutoff = quantile(before, goal === 'maximize' ? 1 - 1 / eta : 1 / eta);
    return (goal === 'maximize' ? value < cutoff : value > cutoff) ? 'stop' : 'continue';
  }
}

/** The q-quantile of values by linear interpolation between the closest ranks (numpy's default). */
function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const position = q * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}
