/** A CSS variable's value on <html>, for canvas drawing (uPlot cannot read CSS variables). */
export function cssColor(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value === '' ? fallback : value;
}
