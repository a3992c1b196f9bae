import { useState } from 'preact/hooks';
import type { EventPage, ShownEvent } from '../api-types.js';
import { useApi } from '../api-context.js';
import { CursorPager } from '../components/cursor-pager.js';
import { DataTable } from '../components/data-table.js';
import { toggled } from '../components/toggled.js';
import { ErrorNote } from '../components/error-note.js';
import { EventDetails } from '../components/event-details.js';
import { count, time } from '../format.js';
import { routeHref, type Route } from '../hash-route.js';
import { useLoad } from '../use-load.js';

/** The filters, as route parameters (so a link can filter). */
const filterNames = ['type', 'streamPrefix', 'correlationId', 'traceId'] as const;
type Filters = Record<(typeof filterNames)[number], string>;

const filterLabels: Record<keyof Filters, string> = {
  type: 'Event type',
  streamPrefix: 'Stream prefix',
  correlationId: 'Correlation id',
  traceId: 'Trace id',
};

/** The metadata's correlation id, when it is text. */
function correlationOf(event: ShownEvent): string | undefined {
  const value = event.metadata.correlationId;
  return typeof value === 'string' ? value : undefined;
}

/**
 * The event log (`GET /admin/events`), newest first (or from a position typed in), one page at a
 * time: next and previous by cursor, filters by type, stream prefix, correlation and trace id. Each event expands to its JSON;
 * a stream id opens the stream, a correlation id filters by it.
 */
export function EventsPage({ route }: { readonly route: Route }) {
  const api = useApi();
  const filters = Object.fromEntries(
    filterNames.map((name) => [name, route.params.get(name) ?? '']),
  ) as Filters;
  // Where the log is read from: the newest event, or the position an operator typed.
  const upTo = route.params.get('upTo') ?? '';
  const start = /^[1-9]\d{0,15}$/.test(upTo) ? Number(upTo) + 1 : undefined;
  const filterKey = [...filterNames.map((name) => filters[name]), upTo].join('\u0000');
  const [draft, setDraft] = useState<Filters & { upTo: string }>({ ...filters, upTo });
  const [draftKey, setDraftKey] = useState(filterKey);
  // A link changed the filters: the form shows them, paging starts over.
  const [cursors, setCursors] = useState<readonly number[]>([]);
  if (draftKey !== filterKey) {
    setDraft({ ...filters, upTo });
    setDraftKey(filterKey);
    setCursors([]);
  }
  const before = cursors.at(-1) ?? start;
  const page = useLoad(
    (signal) => api.get<EventPage>('/admin/events', { order: 'desc', before, limit: 50, ...filters }, signal),
    `${filterKey}\u0000${before ?? ''}`,
  );
  const [open, setOpen] = useState<ReadonlySet<number>>(new Set());

  const apply = (event: Event) => {
    event.preventDefault();
    location.hash = routeHref('events', '', draft);
  };

  return (
    <>
      <h1>Events</h1>
      <form class="filters" onSubmit={apply} aria-label="Filter events">
        {filterNames.map((name) => (
          <label key={name}>
            {filterLabels[name]}
            <input
              name={name}
              value={draft[name]}
              onInput={(event) => setDraft({ ...draft, [name]: event.currentTarget.value })}
            />
          </label>
        ))}
        <label>
          Up to position
          <input
            name="upTo"
            type="number"
            min={1}
            value={draft.upTo}
            onInput={(event) => setDraft({ ...draft, upTo: event.currentTarget.value })}
          />
        </label>
        <button type="submit" class="primary">
          Filter
        </button>
        <a class="button" href={routeHref('events')}>
          Clear
        </a>
      </form>
      <p role="status">
        {page.loading
          ? 'Loading…'
          : page.data === undefined
            ? ''
            : `Log head ${count(page.data.head)} · ${page.data.events.length} shown`}
      </p>
      <ErrorNote error={page.error} />
      <DataTable
        caption="Events, newest first"
        columns={[
          { header: 'Position', numeric: true, cell: (e) => count(e.position) },
          { header: 'Type', cell: (e) => e.type },
          {
            header: 'Stream',
            cell: (e) => (
              <>
                <a href={routeHref('streams', e.streamId)}>{e.streamId}</a>{' '}
                <span class="muted">v{e.streamVersion}</span>
              </>
            ),
          },
          { header: 'Recorded', cell: (e) => time(e.recordedAt) },
          {
            header: 'Correlation',
            cell: (e) => {
              const id = correlationOf(e);
              return id === undefined ? (
                '–'
              ) : (
                <a href={routeHref('events', '', { correlationId: id })} title="Events of this correlation">
                  {id}
                </a>
              );
            },
          },
          {
            header: 'JSON',
            cell: (e) => (
              <button
                type="button"
                aria-expanded={open.has(e.position)}
                aria-label={`${open.has(e.position) ? 'Hide' : 'Show'} JSON of event ${e.position}`}
                onClick={() => setOpen((set) => toggled(set, e.position))}
              >
                {open.has(e.position) ? 'Hide' : 'Show'}
              </button>
            ),
          },
        ]}
        rows={page.data?.events ?? []}
        rowKey={(e) => String(e.position)}
        detail={(e) => (open.has(e.position) ? <EventDetails event={e} /> : undefined)}
        empty={page.loading ? 'Loading…' : 'No events on this page.'}
      />
      <CursorPager
        label="Pages of events"
        back="Newer"
        forward="Older"
        cursors={cursors}
        onChange={setCursors}
        next={page.data?.next}
      />
    </>
  );
}
