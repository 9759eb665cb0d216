import { createRequire } from 'node:module';

// Student's t distribution from @stdlib, loaded on first use: it is a few hundred small modules, which every
// command would otherwise load at start-up (about 0.2 s) though only compare and runs of members use it.
const require = createRequire(import.meta.url);
const tCdf = (value: number, degrees: number): number => (require('@stdlib/stats-base-dists-t-cdf') as (x: number, v: number) => number)(value, degrees);
const tQuantile = (probability: number, degrees: number): number => (require('@stdlib/stats-base-dists-t-quantile') as (p: number, v: number) => number)(probability, degrees);

// Is the gap between two runs larger than the noise? Runs with folds or repeats have one score per member;
// the mean ± the 95 % interval of a run, and a t-test between two runs: paired over matching members (the
// same fold and seed: the noise they share cancels), Welch's otherwise (unequal variances).

/** A run's score over its members: the mean, the sample standard deviation and the half-width of the 95 % interval. */
export interface Spread {
  readonly mean: number;
  readonly std: number;
  readonly ci95: number;
  readonly n: number;
}

export function spreadOf(values: readonly number[]): Spread {
  const n = values.length;
  const mean = values.reduce((sum, value) => sum + value, 0) / n;
  if (n < 2) return { mean, std: 0, ci95: Number.NaN, n };
  const std = Math.sqrt(values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (n - 1));
  return { mean, std, ci95: tQuantile(0.975, n - 1) * (std / Math.sqrt(n)), n };
}

export interface Difference {
  /** a − b, with the half-width of its 95 % interval. */
  readonly difference: number;
  readonly ci95: number;
  /** Two-sided p-value of "no difference". */
  readonly p: number;
  readonly test: 'paired' | 'welch';
  /** Pairs (paired) or the smaller run's members (Welch). */
  readonly n: number;
}

/** A member's score, keyed by what it shares with another run's member (its fold and seed). */
export interface MemberScore {
  readonly key: string;
  readonly value: number;
}

/** The difference between two runs' member scores, by a paired t-test when every member has a partner, else Welch's. */
export function differenceOf(a: readonly MemberScore[], b: readonly MemberScore[]): Difference | undefined {
  if (a.length < 2 || b.length < 2) return undefined;
  const partners = new Map(b.map((member) => [member.key, member.value]));
  const paired = a.length === b.length && a.every((member) => partners.has(member.key));
  if (paired) {
    const differences = spreadOf(a.map((member) => member.value - partners.get(member.key)!));
    if (differences.std === 0) return { difference: differences.mean, ci95: 0, p: differences.mean === 0 ? 1 : 0, test: 'paired', n: a.length };
    const t = differences.mean / (differences.std / Math.sqrt(a.length));
    return { difference: differences.mean, ci95: differences.ci95, p: 2 * (1 - tCdf(Math.abs(t), a.length - 1)), test: 'paired', n: a.length };
  }
  const [sa, sb] = [spreadOf(a.map((member) => member.value)), spreadOf(b.map((member) => member.value))];
  const [va, vb] = [sa.std ** 2 / sa.n, sb.std ** 2 / sb.n];
  const se = Math.sqrt(va + vb);
  const difference = sa.mean - sb.mean;
  if (se === 0) return { difference, ci95: 0, p: difference === 0 ? 1 : 0, test: 'welch', n: Math.min(sa.n, sb.n) };
  // Welch–Satterthwaite degrees of freedom.
  const df = (va + vb) ** 2 / (va ** 2 / (sa.n - 1) + vb ** 2 / (sb.n - 1));
  return { difference, ci95: tQuantile(0.975, df) * se, p: 2 * (1 - tCdf(Math.abs(difference / se), df)), test: 'welch', n: Math.min(sa.n, sb.n) };
}

/**
 * One plain sentence: `"adam-64" beats "sgd-32" by 2.1 ± 1.4 points of test accuracy (p = 0.01, paired over 5 folds)`,
 * or that the difference is not distinguishable from noise. Points (×100) for scores between 0 and 1.
 */
export function differenceSentence(better: string, worse: string, result: Difference, column: string, members: string, percentLike: boolean): string {
  const scale = percentLike ? 100 : 1;
  const amount = `${(Math.abs(result.difference) * scale).toFixed(percentLike ? 1 : 3)} ± ${(result.ci95 * scale).toFixed(percentLike ? 1 : 3)}${percentLike ? ' points' : ''} of ${column.replaceAll('_', ' ')}`;
  const how = `p = ${result.p < 0.001 ? '< 0.001' : result.p.toFixed(3)}, ${result.test === 'paired' ? `paired over ${result.n} ${members}` : `Welch's t-test, ${result.n}+ ${members} each`}`;
  return result.p < 0.05
    ? `"${better}" beats "${worse}" by ${amount} (${how})`
    : `"${better}" and "${worse}" differ by ${amount}: not distinguishable from noise (${how})`;
}
