import { useEffect, useMemo, useState } from 'preact/hooks';
import type uPlot from 'uplot';
import type { LiveSample, ReadinessCause } from '../api-types.js';
import { useApi } from '../api-context.js';
import { commandRates } from '../command-rates.js';
import { DataTable } from '../components/data-table.js';
import { LineChart } from '../components/line-chart.js';
import { count, rate, seconds, time } from '../format.js';
import { openLiveFeed, type LiveStatus } from '../live-feed.js';

/** Ten minutes at the default 2 s interval, and some slack: older samples scroll off. */
const keep = 400;

const rateSeries = [
  { label: 'Commands/s', colorVar: '--series-1' },
  { label: 'Errors/s', colorVar: '--series-2' },
];
const lagSeries = [{ label: 'Lag (events)', colorVar: '--series-1' }];

function statusText(status: LiveStatus): string {
  if (status.state === 'live') return 'Live';
  if (status.state === 'connecting') return 'Connecting…';
  return `Disconnected (${status.reason}); retrying in ${Math.round(status.retryInMs / 1000)} s`;
}

function Causes({ title, causes }: { readonly title: string; readonly causes: readonly ReadinessCause[] }) {
  if (causes.length === 0) return null;
  return (
    <div>
      <h3>{title}</h3>
      <ul class="causes">
        {causes.map((cause, i) => (
          <li key={i}>
            <strong>{cause.kind}</strong>
            {cause.projection === undefined ? '' : ` (${cause.projection})`}
            {cause.job === undefined ? '' : ` (${cause.job})`}: {cause.message}
          </li>
        ))}
      </ul>
    </div>
  );
}

/**
 * The live overview, from `GET /admin/live`: command and error rates, each projection's lag as a
 * sparkline, readiness and the processes with what each holds.
 */
export function OverviewPage() {
  const api = useApi();
  const [samples, setSamples] = useState<readonly LiveSample[]>([]);
  const [status, setStatus] = useState<LiveStatus>({ state: 'connecting' });
  useEffect(
    () =>
      openLiveFeed(api.token, {
        history: (history) => setSamples(history.slice(-keep)),
        sample: (sample) => setSamples((shown) => [...shown.slice(-(keep - 1)), sample]),
        status: setStatus,
        unauthenticated: () => api.signOut(),
      }),
    [api],
  );
  const rates = useMemo(() => commandRates(samples), [samples]);
  const latest = samples.at(-1);
  const lastRate = rates[1].at(-1);
  const lastErrors = rates[2].at(-1);

  const lags = useMemo(() => {
    const byName = new Map<string, uPlot.AlignedData>();
    for (const projection of latest?.projections ?? []) {
      const times: number[] = [];
      const lag: (number | null)[] = [];
      for (const sample of samples) {
        times.push(Date.parse(sample.at) / 1000);
        lag.push(sample.projections.find((p) => p.name === projection.name)?.lagEvents ?? null);
      }
      byName.set(projection.name, [times, lag]);
    }
    return byName;
  }, [samples, latest]);

  return (
    <>
      <h1>Overview</h1>
      <p class={`live-status ${status.state}`} role="status">
        {statusText(status)}
        {latest === undefined ? '' : ` · last sample ${time(latest.at)} · log head ${count(latest.head)}`}
      </p>
      <section aria-labelledby="rates-title" class="card">
        <h2 id="rates-title">Commands</h2>
        <p>
          Now: <strong>{rate(lastRate)}</strong> commands, <strong>{rate(lastErrors)}</strong> errors
          {latest === undefined
            ? ''
            : ` · ${count(latest.commands.settled)} settled, ${count(latest.commands.failed)} failed since start`}
        </p>
        <LineChart label="Commands and errors per second" series={rateSeries} data={rates} />
      </section>
      <section aria-labelledby="ready-title" class="card">
        <h2 id="ready-title">Readiness</h2>
        {latest === undefined ? (
          <p class="muted">Waiting for the first sample.</p>
        ) : (
          <>
            <p>
              <span class={latest.ready ? 'badge ok' : 'badge bad'}>
                {latest.ready ? 'Ready' : 'Not ready'}
              </span>
              {latest.degraded.length > 0 ? <span class="badge warn">Degraded</span> : null}
            </p>
            <Causes title="Causes" causes={latest.causes} />
            <Causes title="Degraded" causes={latest.degraded} />
          </>
        )}
      </section>
      <section aria-labelledby="lag-title">
        <h2 id="lag-title">Projection lag</h2>
        <DataTable
          caption="Each projection's lag over the last minutes"
          columns={[
            { header: 'Projection', cell: (p) => p.name },
            {
              header: 'State',
              cell: (p) => (p.paused && p.state !== 'paused' ? `${p.state} (paused)` : p.state),
            },
            { header: 'Lag (events)', numeric: true, cell: (p) => count(p.lagEvents) },
            { header: 'Lag (time)', numeric: true, cell: (p) => seconds(p.lagSeconds) },
            { header: 'Parked', numeric: true, cell: (p) => count(p.parked) },
            {
              header: 'History',
              cell: (p) => (
                <LineChart
                  spark
                  label={`Lag of ${p.name}`}
                  series={lagSeries}
                  data={lags.get(p.name) ?? [[], []]}
                />
              ),
            },
          ]}
          rows={latest?.projections ?? []}
          rowKey={(p) => p.name}
          empty="No sample yet."
        />
      </section>
      <section aria-labelledby="processes-title">
        <h2 id="processes-title">Processes</h2>
        <DataTable
          caption="Processes and what each holds"
          columns={[
            { header: 'Process', cell: (p) => (p.self ? `${p.owner} (this server)` : p.owner) },
            { header: 'Projections', cell: (p) => p.projections.join(', ') || '–' },
            { header: 'Jobs', cell: (p) => p.jobs.join(', ') || '–' },
          ]}
          rows={latest?.processes ?? []}
          rowKey={(p) => p.owner}
          empty="No sample yet."
        />
      </section>
    </>
  );
}
