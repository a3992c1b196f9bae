import { useState } from 'preact/hooks';
import type { MaintenanceRequest, ProjectionRow } from '../api-types.js';
import { useApi } from '../api-context.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { DataTable } from '../components/data-table.js';
import { ErrorNote } from '../components/error-note.js';
import { RequestTracker } from '../components/request-tracker.js';
import { count, seconds } from '../format.js';
import { routeHref } from '../hash-route.js';
import { useLoad } from '../use-load.js';

/** An action a button asks for. */
interface Pending {
  readonly projection: string;
  readonly action: 'rebuild' | 'verify' | 'pause' | 'resume' | 'replay';
}

/** What each action does, for its confirmation. */
const explained: Record<Pending['action'], string> = {
  rebuild:
    'Builds a fresh copy of the read model from the whole log beside the live one, then swaps it in. The live model keeps answering meanwhile.',
  verify: 'Rebuilds into a scratch copy and compares it with the live read model, document by document.',
  pause: 'Stops applying events, in every process, until resumed. Queries keep answering from what is there.',
  resume: 'Starts applying events again from where it paused.',
  replay: 'Applies every parked event of this projection again; those that fail again stay parked.',
};

/**
 * The projections (`GET /admin/projections`) with their maintenance actions, each confirmed in a
 * dialog first and followed to its result.
 */
export function ProjectionsPage() {
  const api = useApi();
  const list = useLoad(
    (signal) => api.get<{ projections: ProjectionRow[] }>('/admin/projections', {}, signal),
    '',
  );
  const [pending, setPending] = useState<Pending | undefined>(undefined);
  const [requests, setRequests] = useState<readonly MaintenanceRequest[]>([]);
  const [actionError, setActionError] = useState<Error | undefined>(undefined);

  const perform = async ({ projection, action }: Pending) => {
    setPending(undefined);
    setActionError(undefined);
    try {
      const request = await api.post<MaintenanceRequest>(
        `/admin/projections/${encodeURIComponent(projection)}/${action}`,
      );
      setRequests((shown) => [request, ...shown.filter((r) => r.id !== request.id)].slice(0, 5));
    } catch (error) {
      setActionError(error instanceof Error ? error : new Error(String(error)));
    }
    list.reload();
  };

  const button = (row: ProjectionRow, action: Pending['action'], label: string) => (
    <button
      type="button"
      aria-label={`${label} ${row.name}`}
      onClick={() => setPending({ projection: row.name, action })}
    >
      {label}
    </button>
  );

  return (
    <>
      <h1>Projections</h1>
      <p>
        <button type="button" onClick={list.reload}>
          Refresh
        </button>
      </p>
      <ErrorNote error={list.error ?? actionError} />
      {requests.map((request) => (
        <RequestTracker key={request.id} initial={request} onEnded={list.reload} />
      ))}
      <DataTable
        caption="Projections"
        columns={[
          { header: 'Name', cell: (p) => p.name },
          { header: 'Version', numeric: true, cell: (p) => p.version },
          { header: 'State', cell: (p) => <span class={`state ${p.state}`}>{p.state}</span> },
          { header: 'Position', numeric: true, cell: (p) => `${count(p.position)} / ${count(p.head)}` },
          {
            header: 'Lag',
            numeric: true,
            cell: (p) => `${count(p.lagEvents)} events · ${seconds(p.lagSeconds)}`,
          },
          {
            header: 'Parked',
            numeric: true,
            cell: (p) =>
              p.parked > 0 ? (
                <a href={routeHref('parked', '', { projection: p.name })}>{count(p.parked)}</a>
              ) : (
                '0'
              ),
          },
          { header: 'Owner', cell: (p) => p.owner ?? '–' },
          { header: 'Partitions', numeric: true, cell: (p) => p.partitions ?? 1 },
          {
            header: 'Last error',
            cell: (p) =>
              p.lastError === undefined ? (
                '–'
              ) : (
                <span class="error-text">
                  {p.lastError.message} (at {count(p.lastError.position)}, {p.lastError.attempts} attempts)
                </span>
              ),
          },
          {
            header: 'Actions',
            cell: (p) => (
              <div class="actions">
                {button(p, 'rebuild', 'Rebuild')}
                {button(p, 'verify', 'Verify')}
                {p.paused ? button(p, 'resume', 'Resume') : button(p, 'pause', 'Pause')}
                {p.parked > 0 ? button(p, 'replay', 'Replay parked') : null}
              </div>
            ),
          },
        ]}
        rows={list.data?.projections ?? []}
        rowKey={(p) => p.name}
        stickyActions
        empty={list.loading ? 'Loading…' : 'No projections.'}
      />
      {pending === undefined ? null : (
        <ConfirmDialog
          title={`${pending.action[0]?.toUpperCase()}${pending.action.slice(1)} ${pending.projection}?`}
          confirmLabel={`${pending.action[0]?.toUpperCase()}${pending.action.slice(1)}`}
          danger={pending.action === 'rebuild' || pending.action === 'pause'}
          onConfirm={() => void perform(pending)}
          onCancel={() => setPending(undefined)}
        >
          <p>{explained[pending.action]}</p>
        </ConfirmDialog>
      )}
    </>
  );
}
