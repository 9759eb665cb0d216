import { closest, distance } from 'fastest-levenshtein';

/**
 * The allowed name `given` was probably meant to be: one that differs only in case, else the nearest by edit
 * distance when it is near enough to be a typo (at most a third of its length, and at least 2 edits).
 * Undefined when nothing is that near. Spec keys and a table's column names are suggested by it alike.
 */
export function nearestName(given: string, allowed: readonly string[]): string | undefined {
  if (allowed.length === 0) return undefined;
  const sameLetters = allowed.find((option) => option.toLowerCase() === given.toLowerCase());
  if (sameLetters) return sameLetters;
  const best = closest(given, [...allowed]);
  return distance(given, best) <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}
