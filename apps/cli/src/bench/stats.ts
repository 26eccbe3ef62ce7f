/** A measurement repeated: its median and its spread. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

/** percentile is the nearest-rank percentile (0..100) of values; NaN when there are none. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** spreadOf summarises repeated runs by median, min and max. */
export function spreadOf(runs: number[]): Spread {
  return {
    median: percentile(runs, 50),
    min: runs.length ? Math.min(...runs) : Number.NaN,
    max: runs.length ? Math.max(...runs) : Number.NaN,
    runs,
  };
}

/** round keeps `digits` decimals, for tables. */
export const round = (value: number, digits = 1): number => Number(value.toFixed(digits));
