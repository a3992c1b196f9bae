/** One line of a chart. */
export interface LineSeries {
  readonly label: string;
  readonly points: readonly (readonly [x: number, y: number])[];
  /** Dashed, for a second measure of the same system (p50 under p99). */
  readonly dashed?: boolean;
  /** Palette index; series of one system share it. Defaults to the series' index. */
  readonly colour?: number;
}

/** What to draw. */
export interface LineChart {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly LineSeries[];
  /** Log-2 x axis (load multiples 1, 2, 4, 8...). */
  readonly log2X?: boolean;
  /** Log-10 y axis, for latencies that span milliseconds to seconds. */
  readonly log10Y?: boolean;
}

const palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#17becf', '#7f7f7f'];
const width = 760;
const height = 360;
const margin = { top: 40, right: 250, bottom: 48, left: 64 };

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** About five round ticks from 0 to at least `max`. */
export function niceTicks(max: number): number[] {
  if (!(max > 0)) return [0, 1];
  const rough = max / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * power >= rough) ?? 10) * power;
  const ticks: number[] = [];
  for (let t = 0; t < max + step; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** Powers of ten from just below the smallest value to just above the largest. */
export function decades(values: readonly number[]): number[] {
  if (values.length === 0) return [1, 10];
  const low = Math.floor(Math.log10(Math.min(...values)));
  const high = Math.max(low + 1, Math.ceil(Math.log10(Math.max(...values))));
  return Array.from({ length: high - low + 1 }, (_, i) => Number((10 ** (low + i)).toPrecision(12)));
}

/** A small standalone SVG line chart: axes, ticks, one coloured line per series, a legend. */
export function svgLineChart(chart: LineChart): string {
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const points = chart.series
    .flatMap((s) => s.points)
    .filter(([x, y]) => Number.isFinite(x + y) && (chart.log10Y !== true || y > 0));
  const xs = points.map(([x]) => (chart.log2X === true ? Math.log2(x) : x));
  const xMin = xs.length === 0 ? 0 : Math.min(...xs);
  const xMax = Math.max(...xs, xMin + 1);
  const ys = points.map(([, y]) => y).filter((y) => chart.log10Y !== true || y > 0);
  const yTicks = chart.log10Y === true ? decades(ys) : niceTicks(Math.max(...ys, 0));
  const yMin = chart.log10Y === true ? Math.log10(yTicks[0] ?? 1) : 0;
  const yMax = chart.log10Y === true ? Math.log10(yTicks.at(-1) ?? 10) : (yTicks.at(-1) ?? 1);
  const sx = (x: number) =>
    margin.left + (((chart.log2X === true ? Math.log2(x) : x) - xMin) / (xMax - xMin)) * plotW;
  const sy = (y: number) =>
    margin.top + plotH - (((chart.log10Y === true ? Math.log10(y) : y) - yMin) / (yMax - yMin)) * plotH;
  const xTickValues =
    chart.log2X === true
      ? Array.from({ length: Math.round(xMax - xMin) + 1 }, (_, i) => 2 ** (xMin + i))
      : [...new Set(points.map(([x]) => x))].sort((a, b) => a - b);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(chart.title)}</text>`,
  ];
  for (const t of yTicks) {
    const y = sy(t).toFixed(1);
    parts.push(
      `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`,
      `<text x="${margin.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${t}</text>`,
    );
  }
  for (const t of xTickValues) {
    const x = sx(t).toFixed(1);
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${margin.top + plotH}" y2="${margin.top + plotH + 4}" stroke="#333"/>`,
      `<text x="${x}" y="${margin.top + plotH + 16}" text-anchor="middle">${t}</text>`,
    );
  }
  parts.push(
    `<line x1="${margin.left}" x2="${margin.left}" y1="${margin.top}" y2="${margin.top + plotH}" stroke="#333"/>`,
    `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${margin.top + plotH}" y2="${margin.top + plotH}" stroke="#333"/>`,
    `<text x="${margin.left + plotW / 2}" y="${height - 10}" text-anchor="middle">${escapeXml(chart.xLabel)}</text>`,
    `<text transform="translate(16 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(chart.yLabel)}</text>`,
  );
  chart.series.forEach((series, i) => {
    const colour = palette[(series.colour ?? i) % palette.length];
    const valid = series.points.filter(
      ([x, y]) => Number.isFinite(x + y) && (chart.log10Y !== true || y > 0),
    );
    const path = valid.map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`);
    const dash = series.dashed === true ? ' stroke-dasharray="5 4"' : '';
    if (path.length > 0)
      parts.push(`<path d="${path.join(' ')}" fill="none" stroke="${colour}" stroke-width="2"${dash}/>`);
    for (const [x, y] of valid)
      parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${colour}"/>`);
    const ly = margin.top + 10 + i * 18;
    const lx = margin.left + plotW + 12;
    parts.push(
      `<line x1="${lx}" x2="${lx + 22}" y1="${ly}" y2="${ly}" stroke="${colour}" stroke-width="2"${dash}/>`,
      `<text x="${lx + 28}" y="${ly}" dominant-baseline="middle">${escapeXml(series.label)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
