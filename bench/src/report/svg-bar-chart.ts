import { escapeXml, niceTicks } from './svg-line-chart.js';

/** One bar: a value, and optionally the target line it should reach. */
export interface Bar {
  readonly label: string;
  readonly value: number;
  readonly low?: number;
  readonly high?: number;
  readonly target?: number;
}

/** Horizontal bars with their spread (whiskers) and targets (red ticks), as a standalone SVG. */
export function svgBarChart(
  title: string,
  unit: string,
  bars: readonly Bar[],
  tickLabel: (value: number) => string = String,
): string {
  const rowH = 24;
  const left = 380;
  const right = 40;
  const width = 860;
  const top = 40;
  const height = top + bars.length * rowH + 40;
  const plotW = width - left - right;
  const ticks = niceTicks(Math.max(...bars.map((b) => Math.max(b.high ?? b.value, b.target ?? 0)), 0));
  const max = ticks.at(-1) ?? 1;
  const sx = (v: number) => left + (v / max) * plotW;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  for (const t of ticks) {
    const x = sx(t).toFixed(1);
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${top}" y2="${top + bars.length * rowH}" stroke="#e5e5e5"/>`,
      `<text x="${x}" y="${top + bars.length * rowH + 14}" text-anchor="middle">${escapeXml(tickLabel(t))}</text>`,
    );
  }
  parts.push(
    `<text x="${left + plotW / 2}" y="${height - 8}" text-anchor="middle">${escapeXml(unit)}</text>`,
  );
  bars.forEach((bar, i) => {
    const y = top + i * rowH;
    const mid = (y + rowH / 2).toFixed(1);
    parts.push(
      `<text x="${left - 8}" y="${mid}" text-anchor="end" dominant-baseline="middle">${escapeXml(bar.label)}</text>`,
    );
    if (Number.isFinite(bar.value))
      parts.push(
        `<rect x="${left}" y="${y + 5}" width="${(sx(bar.value) - left).toFixed(1)}" height="${rowH - 10}" fill="#1f77b4"/>`,
      );
    if (bar.low !== undefined && bar.high !== undefined && Number.isFinite(bar.low + bar.high))
      parts.push(
        `<line x1="${sx(bar.low).toFixed(1)}" x2="${sx(bar.high).toFixed(1)}" y1="${mid}" y2="${mid}" stroke="#000"/>`,
      );
    if (bar.target !== undefined)
      parts.push(
        `<line x1="${sx(bar.target).toFixed(1)}" x2="${sx(bar.target).toFixed(1)}" y1="${y + 2}" y2="${y + rowH - 2}" stroke="#d62728" stroke-width="2"/>`,
      );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
