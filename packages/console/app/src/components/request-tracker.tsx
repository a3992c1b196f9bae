import { useEffect, useRef, useState } from 'preact/hooks';
import type { MaintenanceRequest, VerifyReport } from '../api-types.js';
import { useApi } from '../api-context.js';
import { count } from '../format.js';
import { DataTable } from './data-table.js';
import { JsonView } from './json-view.js';

/** How often a request under way is looked at. */
const pollMs = 500;

function isVerifyReport(value: unknown): value is VerifyReport {
  return typeof value === 'object' && value !== null && Array.isArray((value as VerifyReport).collections);
}

/** A verify report: clean, or each collection's differences. */
function VerifyResult({ report }: { readonly report: VerifyReport }) {
  return (
    <>
      <p>
        {report.ok
          ? `The read model matches a fresh rebuild at position ${count(report.position)}.`
          : `The read model differs from a fresh rebuild at position ${count(report.position)}.`}
      </p>
      {report.ok ? null : (
        <DataTable
          caption="Differences by collection"
          columns={[
            { header: 'Collection', cell: (c) => c.collection },
            { header: 'Missing', numeric: true, cell: (c) => count(c.missing) },
            { header: 'Unexpected', numeric: true, cell: (c) => count(c.unexpected) },
            { header: 'Different', numeric: true, cell: (c) => count(c.different) },
            { header: 'Sample ids', cell: (c) => c.sampleIds.join(', ') || '–' },
          ]}
          rows={report.collections}
          rowKey={(c) => c.collection}
        />
      )}
    </>
  );
}

/**
 * A maintenance request followed to its end: polled every 500 ms while pending or running (a
 * rebuild's position over the head as a progress bar), then its result or error.
 */
export function RequestTracker({
  initial,
  onEnded,
}: {
  readonly initial: MaintenanceRequest;
  /** Called once when the request ends (done or failed), to refresh what it changed. */
  readonly onEnded?: () => void;
}) {
  const api = useApi();
  const [request, setRequest] = useState(initial);
  const [failure, setFailure] = useState<string | undefined>(undefined);
  const ended = request.state === 'done' || request.state === 'failed';
  const notify = useRef(onEnded);
  notify.current = onEnded;
  // Only an end seen here: a request that arrived ended was already followed by a refresh.
  const endedHere = useRef(ended);
  useEffect(() => {
    if (ended && !endedHere.current) {
      endedHere.current = true;
      notify.current?.();
    }
  }, [ended]);
  useEffect(() => {
    if (ended) return;
    const timer = setTimeout(() => {
      api.get<MaintenanceRequest>(`/admin/projections/requests/${encodeURIComponent(request.id)}`).then(
        (next) => {
          setFailure(undefined);
          setRequest(next);
        },
        // Still shown as it was; the next round tries again.
        (error: unknown) => {
          setFailure(error instanceof Error ? error.message : String(error));
          setRequest((current) => ({ ...current }));
        },
      );
    }, pollMs);
    return () => clearTimeout(timer);
  }, [request, ended, api]);

  const { position, head } = request.progress ?? {};
  const title = `${request.action} of ${request.projection}`;
  return (
    <section class="tracker" aria-label={title} aria-live="polite">
      <h3>
        {title}: {request.state === 'done' && request.action === 'rebuild' ? 'done, swapped' : request.state}
      </h3>
      {request.action === 'rebuild' && !ended ? (
        <p>
          <label>
            Rebuild progress{' '}
            <progress max={Math.max(head ?? 1, 1)} value={position ?? 0}>
              {count(position)} of {count(head)}
            </progress>
          </label>{' '}
          {position === undefined
            ? 'waiting for a process to start it…'
            : `${count(position)} of ${count(head)}`}
        </p>
      ) : null}
      {request.state === 'failed' ? <p class="error">{request.error}</p> : null}
      {failure === undefined ? null : <p class="error">Could not follow the request: {failure}</p>}
      {request.state === 'done' && request.action === 'rebuild' ? (
        <p>The new version caught up and was swapped in.</p>
      ) : null}
      {request.state === 'done' && request.action !== 'rebuild' ? (
        isVerifyReport(request.result) ? (
          <VerifyResult report={request.result} />
        ) : (
          <JsonView label="Result" value={request.result} />
        )
      ) : null}
    </section>
  );
}
