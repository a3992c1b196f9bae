import { useState } from 'preact/hooks';
import type { AuditPage as AuditAnswer } from '../api-types.js';
import { useApi } from '../api-context.js';
import { CursorPager } from '../components/cursor-pager.js';
import { DataTable } from '../components/data-table.js';
import { ErrorNote } from '../components/error-note.js';
import { time } from '../format.js';
import { routeHref } from '../hash-route.js';
import { useLoad } from '../use-load.js';

/** The outcomes an audit row can have. */
const outcomes = [
  'accepted',
  'replayed',
  'invalid',
  'unauthenticated',
  'forbidden',
  'rejected',
  'conflict',
  'throttled',
  'failed',
] as const;

interface Filters {
  readonly userId: string;
  readonly commandType: string;
  readonly outcome: string;
  /** `datetime-local` values (the reader's local time), sent as ISO. */
  readonly from: string;
  readonly to: string;
}

const none: Filters = { userId: '', commandType: '', outcome: '', from: '', to: '' };

/** A datetime-local value as ISO-8601, or undefined when empty or unreadable. */
function iso(local: string): string | undefined {
  if (local === '') return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/**
 * The command audit (`GET /admin/audit`), newest first: filters by user, command type, outcome and
 * time, one page at a time.
 */
export function AuditPage() {
  const api = useApi();
  const [draft, setDraft] = useState<Filters>(none);
  const [filters, setFilters] = useState<Filters>(none);
  const [cursors, setCursors] = useState<readonly number[]>([]);
  const before = cursors.at(-1);
  const page = useLoad(
    (signal) =>
      api.get<AuditAnswer>(
        '/admin/audit',
        {
          userId: filters.userId,
          commandType: filters.commandType,
          outcome: filters.outcome,
          from: iso(filters.from),
          to: iso(filters.to),
          before,
          limit: 50,
        },
        signal,
      ),
    `${JSON.stringify(filters)}\u0000${before ?? ''}`,
  );
  const field = (name: keyof Filters) => (event: Event) =>
    setDraft({ ...draft, [name]: (event.currentTarget as HTMLInputElement | HTMLSelectElement).value });

  return (
    <>
      <h1>Audit</h1>
      <form
        class="filters"
        aria-label="Filter the audit"
        onSubmit={(event) => {
          event.preventDefault();
          setCursors([]);
          setFilters(draft);
        }}
      >
        <label>
          User
          <input name="userId" value={draft.userId} onInput={field('userId')} />
        </label>
        <label>
          Command type
          <input name="commandType" value={draft.commandType} onInput={field('commandType')} />
        </label>
        <label>
          Outcome
          <select name="outcome" value={draft.outcome} onChange={field('outcome')}>
            <option value="">Any</option>
            {outcomes.map((outcome) => (
              <option key={outcome} value={outcome}>
                {outcome}
              </option>
            ))}
          </select>
        </label>
        <label>
          From
          <input type="datetime-local" step={1} name="from" value={draft.from} onInput={field('from')} />
        </label>
        <label>
          To
          <input type="datetime-local" step={1} name="to" value={draft.to} onInput={field('to')} />
        </label>
        <button type="submit" class="primary">
          Filter
        </button>
      </form>
      <ErrorNote error={page.error} />
      <DataTable
        caption="Audited commands, newest first"
        columns={[
          { header: 'At', cell: (a) => time(a.at) },
          { header: 'Command', cell: (a) => a.commandType },
          { header: 'User', cell: (a) => a.userId ?? '–' },
          { header: 'Outcome', cell: (a) => <span class={`outcome ${a.outcome}`}>{a.outcome}</span> },
          { header: 'Error code', cell: (a) => (a.errorCode === null ? '–' : <code>{a.errorCode}</code>) },
          {
            header: 'Streams',
            cell: (a) =>
              a.streamIds.length === 0
                ? '–'
                : a.streamIds.map((id, i) => (
                    <>
                      {i > 0 ? ', ' : ''}
                      <a href={routeHref('streams', id)}>{id}</a>
                    </>
                  )),
          },
          { header: 'Position', numeric: true, cell: (a) => a.position ?? '–' },
          { header: 'Command id', cell: (a) => <code>{a.commandId}</code> },
        ]}
        rows={page.data?.entries ?? []}
        rowKey={(a) => String(a.id)}
        empty={page.loading ? 'Loading…' : 'No audited commands match.'}
      />
      <CursorPager
        label="Pages of the audit"
        back="Newer"
        forward="Older"
        cursors={cursors}
        onChange={setCursors}
        next={page.data?.next}
      />
    </>
  );
}
