import { useState } from 'preact/hooks';
import type { StreamPage as StreamAnswer } from '../api-types.js';
import { useApi } from '../api-context.js';
import { DataTable } from '../components/data-table.js';
import { toggled } from '../components/toggled.js';
import { ErrorNote } from '../components/error-note.js';
import { EventDetails } from '../components/event-details.js';
import { count, time } from '../format.js';
import { routeHref, type Route } from '../hash-route.js';
import { useLoad } from '../use-load.js';

/** One stream (`GET /admin/streams/{id}`): its events, each with the decider's folded state. */
function StreamEvents({ streamId }: { readonly streamId: string }) {
  const api = useApi();
  const [from, setFrom] = useState<readonly number[]>([1]);
  const start = from.at(-1) ?? 1;
  const page = useLoad(
    (signal) =>
      api.get<StreamAnswer>(
        `/admin/streams/${encodeURIComponent(streamId)}`,
        { from: start, limit: 100 },
        signal,
      ),
    `${streamId}\u0000${start}`,
  );
  const [open, setOpen] = useState<ReadonlySet<number>>(new Set());
  const data = page.data;
  return (
    <>
      <ErrorNote error={page.error} />
      {data === undefined ? null : (
        <p role="status">
          Version {count(data.version)} ·{' '}
          {data.decider === null
            ? 'no decider registered for this stream'
            : `folded by the decider for "${data.decider}"`}
          {data.stateError === undefined ? '' : ` · the fold failed: ${data.stateError}`}
        </p>
      )}
      <DataTable
        caption={`Events of ${streamId}`}
        columns={[
          { header: 'Version', numeric: true, cell: (e) => e.streamVersion },
          { header: 'Position', numeric: true, cell: (e) => count(e.position) },
          { header: 'Type', cell: (e) => e.type },
          { header: 'Recorded', cell: (e) => time(e.recordedAt) },
          {
            header: 'Details',
            cell: (e) => (
              <button
                type="button"
                aria-expanded={open.has(e.position)}
                aria-label={`${open.has(e.position) ? 'Hide' : 'Show'} details of version ${e.streamVersion}`}
                onClick={() => setOpen((set) => toggled(set, e.position))}
              >
                {open.has(e.position) ? 'Hide' : 'Show'}
              </button>
            ),
          },
        ]}
        rows={data?.events ?? []}
        rowKey={(e) => String(e.position)}
        detail={(e) => (open.has(e.position) ? <EventDetails event={e} state={e.state} /> : undefined)}
        empty={page.loading ? 'Loading…' : 'No events in this stream.'}
      />
      <nav class="pager" aria-label="Pages of the stream">
        <button type="button" disabled={from.length === 1} onClick={() => setFrom((f) => f.slice(0, -1))}>
          Earlier
        </button>
        <button
          type="button"
          disabled={data === undefined || data.next === null}
          onClick={() => {
            const next = data?.next;
            if (typeof next === 'number') setFrom((f) => [...f, next]);
          }}
        >
          Later
        </button>
      </nav>
    </>
  );
}

/** The stream page: a stream id box, then that stream's events. */
export function StreamPage({ route }: { readonly route: Route }) {
  const [draft, setDraft] = useState(route.rest);
  return (
    <>
      <h1>Streams</h1>
      <form
        class="filters"
        aria-label="Open a stream"
        onSubmit={(event) => {
          event.preventDefault();
          location.hash = routeHref('streams', draft.trim());
        }}
      >
        <label>
          Stream id
          <input name="streamId" value={draft} onInput={(event) => setDraft(event.currentTarget.value)} />
        </label>
        <button type="submit" class="primary">
          Open
        </button>
      </form>
      {route.rest === '' ? (
        <p class="muted">Type a stream id, or follow a stream link from the events or parked pages.</p>
      ) : (
        <StreamEvents key={route.rest} streamId={route.rest} />
      )}
    </>
  );
}
