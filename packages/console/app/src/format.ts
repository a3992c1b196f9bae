/** A count with thousands separators. */
export function count(value: number | null | undefined): string {
  return value === null || value === undefined ? '–' : value.toLocaleString('en-US');
}

/** Seconds, short: `0 s`, `12.3 s`, `4 min`, `2.1 h`. */
export function seconds(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  if (value < 60) return `${Math.round(value * 10) / 10} s`;
  if (value < 3600) return `${Math.round(value / 6) / 10} min`;
  return `${Math.round(value / 360) / 10} h`;
}

/** An ISO time as the reader's local date and time, to the second. */
export function time(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '–';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString('en-GB', { hour12: false });
}

/** A rate, two significant decimals. */
export function rate(value: number | null | undefined): string {
  return value === null || value === undefined ? '–' : `${Math.round(value * 100) / 100}/s`;
}
