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
 * 2020; Ray Tune's ASHA): when a trial reaches a rung (minEpochs·eta^k epochs), its metric is recorded
 * there; unless it is among the top 1/eta of the trials that have reached that rung so far, it stops.
 * Until eta trials have reached a rung, everyone there goes on. Pure: results in, verdicts out.
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
    const values = [...(this.recorded.get(epoch) ?? []), value];
    this.recorded.set(epoch, values);
    if (values.length < this.options.eta) return 'continue';
    const ranked = [...values].sort((a, b) => (this.options.goal === 'maximize' ? b - a : a - b));
    const cutoff = ranked[Math.max(1, Math.floor(values.length / this.options.eta)) - 1];
    const worse = this.options.goal === 'maximize' ? value < cutoff : value > cutoff;
    return worse ? 'stop' : 'continue';
  }
}
