/** A number for a table: grouped thousands, fewer decimals as it grows. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A 0..1 fraction as a percentage. */
export function formatPercent(value: number, digits = 1): string {
  return Number.isFinite(value) ? `${(value * 100).toFixed(digits)}%` : 'n/a';
}

/** A ratio as a multiple, such as `3.20x`. */
export function formatMultiple(value: number, digits = 2): string {
  return Number.isFinite(value) ? `${value.toFixed(digits)}x` : 'n/a';
}
