import { useState } from 'preact/hooks';
import type { ParkedPage as ParkedAnswer, ParkedRow, ProjectionRow } from '../api-types.js';
import { useApi } from '../api-context.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { CursorPager } from '../components/cursor-pager.js';
import { DataTable } from '../components/data-table.js';
import { toggled } from '../components/toggled.js';
import { ErrorNote } from '../components/error-note.js';
import { JsonView } from '../components/json-view.js';
import { count, time } from '../format.js';
import { routeHref, type Route } from '../hash-route.js';
import { useLoad } from '../use-load.js';

/** A parked event's key: projection and event id (one event may park in two projections). */
const keyOf = (row: ParkedRow) => `${row.projection}\u0000${row.eventId}`;

/** A replay or skip asked for, of some events of one projection. */
interface Pending {
  readonly action: 'replay' | 'skip';
  readonly projection: string;
  readonly eventIds: readonly string[];
}

/**
 * Parked events (`GET /admin/parked`), oldest first, filtered by projection: each expands to its
 * event, error and attempts; replay or skip one, or several selected of one projection.
 */
export function ParkedPage({ route }: { readonly route: Route }) {
  const api = useApi();
  const projection = route.params.get('projection') ?? '';
  const [cursors, setCursors] = useState<readonly string[]>([]);
  const after = cursors.at(-1);
  const page = useLoad(
    (signal) => api.get<ParkedAnswer>('/admin/parked', { projection, after, limit: 50 }, signal),
    `${projection}\u0000${after ?? ''}`,
  );
  const names = useLoad(
    (signal) => api.get<{ projections: ProjectionRow[] }>('/admin/projections', {}, signal),
    '',
  );
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [pending, setPending] = useState<Pending | undefined>(undefined);
  const [outcome, setOutcome] = useState<string | undefined>(undefined);
  const [actionError, setActionError] = useState<Error | undefined>(undefined);

  const rows = page.data?.parked ?? [];
  const chosen = rows.filter((row) => selected.has(keyOf(row)));
  const chosenProjections = [...new Set(chosen.map((row) => row.projection))];

  const perform = async ({ action, projection: name, eventIds }: Pending) => {
    setPending(undefined);
    setActionError(undefined);
    try {
      const answer = await api.post<{ state: string; result?: Record<string, unknown>; error?: string }>(
        `/admin/projections/${encodeURIComponent(name)}/${action}`,
        { eventIds },
      );
      setOutcome(
        answer.state === 'failed'
          ? `${action} failed: ${answer.error ?? 'no reason given'}`
          : `${action} of ${eventIds.length} event(s) of ${name}: ${answer.state}${
              answer.result === undefined ? '' : ` (${JSON.stringify(answer.result)})`
            }`,
      );
    } catch (error) {
      setActionError(error instanceof Error ? error : new Error(String(error)));
    }
    setSelected(new Set());
    page.reload();
  };

  const setProjection = (name: string) => {
    setCursors([]);
    setSelected(new Set());
    location.hash = routeHref('parked', '', { projection: name });
  };

  return (
    <>
      <h1>Parked events</h1>
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <label>
          Projection
          <select value={projection} onChange={(event) => setProjection(event.currentTarget.value)}>
            <option value="">Every projection</option>
            {(names.data?.projections ?? []).map((p) => (
              <option key={p.name} value={p.name}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={page.reload}>
          Refresh
        </button>
      </form>
      <p role="status">
        {page.loading ? 'Loading…' : page.data === undefined ? '' : `${count(page.data.total)} parked`}
        {outcome === undefined ? '' : ` · ${outcome}`}
      </p>
      <ErrorNote error={page.error ?? actionError} />
      <div class="bulk" role="group" aria-label="Selected events">
        <span>{chosen.length} selected</span>
        {(['replay', 'skip'] as const).map((action) => (
          <button
            key={action}
            type="button"
            disabled={chosenProjections.length !== 1}
            title={chosenProjections.length > 1 ? 'Select events of one projection' : undefined}
            onClick={() =>
              setPending({
                action,
                projection: chosenProjections[0] ?? '',
                eventIds: chosen.map((row) => row.eventId),
              })
            }
          >
            {action === 'replay' ? 'Replay selected' : 'Skip selected'}
          </button>
        ))}
      </div>
      <DataTable
        caption="Parked events, oldest first"
        columns={[
          {
            header: <span class="visually-hidden">Select</span>,
            cell: (row) => (
              <input
                type="checkbox"
                aria-label={`Select ${row.type} at ${row.position} (${row.projection})`}
                checked={selected.has(keyOf(row))}
                onChange={() => setSelected((set) => toggled(set, keyOf(row)))}
              />
            ),
          },
          { header: 'Projection', cell: (row) => row.projection },
          { header: 'Position', numeric: true, cell: (row) => count(row.position) },
          { header: 'Type', cell: (row) => row.type },
          {
            header: 'Stream',
            cell: (row) => <a href={routeHref('streams', row.streamId)}>{row.streamId}</a>,
          },
          { header: 'Reason', cell: (row) => row.reason },
          { header: 'Attempts', numeric: true, cell: (row) => row.attempts },
          { header: 'Parked at', cell: (row) => time(row.parkedAt) },
          {
            header: 'Actions',
            cell: (row) => (
              <div class="actions">
                <button
                  type="button"
                  aria-expanded={open.has(keyOf(row))}
                  aria-label={`Details of ${row.type} at ${row.position} (${row.projection})`}
                  onClick={() => setOpen((set) => toggled(set, keyOf(row)))}
                >
                  Details
                </button>
                <button
                  type="button"
                  aria-label={`Replay ${row.type} at ${row.position} (${row.projection})`}
                  onClick={() =>
                    setPending({ action: 'replay', projection: row.projection, eventIds: [row.eventId] })
                  }
                >
                  Replay
                </button>
                <button
                  type="button"
                  aria-label={`Skip ${row.type} at ${row.position} (${row.projection})`}
                  onClick={() =>
                    setPending({ action: 'skip', projection: row.projection, eventIds: [row.eventId] })
                  }
                >
                  Skip
                </button>
              </div>
            ),
          },
        ]}
        rows={rows}
        rowKey={keyOf}
        stickyActions
        detail={(row) =>
          open.has(keyOf(row)) ? (
            <div class="detail-grid">
              <p class="error-text">
                {row.error} ({row.attempts} attempts, {row.reason})
              </p>
              {row.event === null ? (
                <p class="muted">The event is no longer in the log.</p>
              ) : (
                <>
                  <JsonView label="Data" value={row.event.data} />
                  <JsonView label="Metadata" value={row.event.metadata} />
                  {row.event.upcast === undefined ? null : (
                    <JsonView
                      label={`Upcast to schema ${row.event.upcast.schemaVersion}`}
                      value={row.event.upcast.data}
                    />
                  )}
                </>
              )}
            </div>
          ) : undefined
        }
        empty={page.loading ? 'Loading…' : 'No parked events.'}
      />
      <CursorPager
        label="Pages of parked events"
        back="Previous page"
        forward="Next page"
        cursors={cursors}
        onChange={setCursors}
        next={page.data?.next}
      />
      {pending === undefined ? null : (
        <ConfirmDialog
          title={`${pending.action === 'replay' ? 'Replay' : 'Skip'} ${pending.eventIds.length} parked event(s) of ${pending.projection}?`}
          confirmLabel={pending.action === 'replay' ? 'Replay' : 'Skip'}
          danger={pending.action === 'skip'}
          onConfirm={() => void perform(pending)}
          onCancel={() => setPending(undefined)}
        >
          <p>
            {pending.action === 'replay'
              ? 'Applies them again; those that fail again stay parked.'
              : 'Drops them from the parked list without applying them: the read model stays without them. A later event of the same stream parked behind one of them stays parked until replayed.'}
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}
