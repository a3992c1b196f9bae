import { useContext, useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { ThemeContext } from '../theme-context.js';
import { cssColor } from './chart-colors.js';

/** One line of a {@link LineChart}. */
export interface ChartSeries {
  readonly label: string;
  /** A CSS variable naming its colour (`--series-1`). */
  readonly colorVar: string;
}

/** Props of {@link LineChart}. */
export interface LineChartProps {
  /** The chart's accessible name. */
  readonly label: string;
  readonly series: readonly ChartSeries[];
  /** uPlot's aligned columns: x (unix seconds), then one column per series. */
  readonly data: uPlot.AlignedData;
  readonly height?: number;
  /** A sparkline: no axes, no legend, no cursor. */
  readonly spark?: boolean;
}

/**
 * A uPlot time-series chart that fills its container's width. Canvas is invisible to assistive
 * technology: the figure carries the label, and pages print the latest values as text beside it.
 */
export function LineChart(props: LineChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const { spark = false, height = spark ? 36 : 220 } = props;
  // Redrawn with new colours when the theme changes.
  const theme = useContext(ThemeContext);

  useEffect(() => {
    const element = host.current;
    if (element === null) return;
    const text = cssColor('--text-muted', '#555');
    const grid = cssColor('--border', '#ddd');
    const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const chart = new uPlot(
      {
        width: Math.max(element.clientWidth, 100),
        height,
        legend: { show: !spark },
        cursor: spark ? { show: false } : {},
        axes: spark ? [{ show: false }, { show: false }] : [axis, axis],
        scales: {
          x: { time: true },
          y: { range: (_u, min, max) => [Math.min(0, min), Math.max(1, max)] },
        },
        series: [
          {},
          ...props.series.map((series) => ({
            label: series.label,
            stroke: cssColor(series.colorVar, '#2563eb'),
            width: spark ? 1.5 : 2,
            points: { show: false },
            spanGaps: false,
          })),
        ],
      },
      props.data,
      element,
    );
    plot.current = chart;
    const resize = new ResizeObserver(() =>
      chart.setSize({ width: Math.max(element.clientWidth, 100), height }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = undefined;
    };
    // Rebuilt on a theme change (colours) or another set of series; data alone only updates.
  }, [theme, props.series.map((s) => s.label).join('\n'), spark, height]);

  useEffect(() => {
    const chart = plot.current;
    if (chart === undefined) return;
    chart.setData(props.data);
    // At least the last minute on the x axis: with a sample or two, uPlot pads a single time
    // into a range of years.
    const times = props.data[0];
    const first = times[0];
    const last = times.at(-1);
    if (first !== undefined && last !== undefined && last - first < 60)
      chart.setScale('x', { min: last - 60, max: last });
  }, [props.data]);

  return <div ref={host} class={spark ? 'chart spark' : 'chart'} role="img" aria-label={props.label} />;
}
