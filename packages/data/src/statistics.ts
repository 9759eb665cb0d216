/** The largest finite 32-bit float: what training computes in. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Mean and (population) standard deviation in float64, scaled by the largest magnitude first so that
 * squares of values near the float32 limit cannot overflow; a constant column has std 1 (it then encodes as 0).
 */
export function meanAndStd(values: ArrayLike<number>): { mean: number; std: number } {
  const count = values.length;
  let scale = 0;
  for (let i = 0; i < count; i++) scale = Math.max(scale, Math.abs(values[i]));
  if (count === 0 || scale === 0) return { mean: 0, std: 1 };
  let sum = 0;
  for (let i = 0; i < count; i++) sum += values[i] / scale;
  const scaledMean = sum / count;
  let squares = 0;
  for (let i = 0; i < count; i++) squares += (values[i] / scale - scaledMean) ** 2;
  const std = scale * Math.sqrt(squares / count);
  return { mean: scale * scaledMean, std: std > 0 && Number.isFinite(std) ? std : 1 };
}

/** A statistic as validate prints it: four significant digits. */
export const round = (value: number) => Number(value.toPrecision(4));
