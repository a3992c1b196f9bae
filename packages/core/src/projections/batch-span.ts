import { SpanKind, type Link } from '@opentelemetry/api';
import type { RecordedEvent } from '../messages/event.js';
import { parseTraceparent } from '../tracing/traceparent.js';
import { endWithError, tandemTracer } from '../tracing/tandem-tracer.js';

/** The most commands one batch span links to: a rebuild's batches would otherwise carry thousands. */
export const maxBatchLinks = 128;

/** What a batch span names: the projection, its namespace, and the event types it applies. */
export interface BatchSpanTarget {
  readonly projection: { readonly name: string; readonly events: readonly string[] };
  readonly namespace: string;
}

/**
 * The links of a batch: one per distinct command trace among the events the projection applies
 * (their `metadata.traceparent`), at most {@link maxBatchLinks}. A command that appended several
 * events is linked once (its span is one).
 */
export function batchLinks(types: ReadonlySet<string>, batch: readonly RecordedEvent[]): Link[] {
  const links: Link[] = [];
  const seen = new Set<string>();
  for (const event of batch) {
    if (links.length >= maxBatchLinks) break;
    if (!types.has(event.type)) continue;
    const traceparent = event.metadata.traceparent;
    if (typeof traceparent !== 'string' || seen.has(traceparent)) continue;
    seen.add(traceparent);
    const context = parseTraceparent(traceparent);
    if (context !== undefined)
      links.push({
        context,
        attributes: { 'tandem.position': event.position, 'tandem.event.type': event.type },
      });
  }
  return links;
}

/**
 * Runs `work` (applying one batch) in a span `tandem.projection <name>`: a root span of its own
 * (the daemon's loop is no request's child) that links to the trace of every command whose events
 * it applies, so a command's trace can be followed into each projection. Attributes: projection,
 * namespace, first and last position, event count. With no SDK the span is a no-op and no link is
 * built.
 */
export async function inBatchSpan<T>(
  target: BatchSpanTarget,
  batch: readonly RecordedEvent[],
  work: () => Promise<T>,
): Promise<T> {
  const { projection, namespace } = target;
  const span = tandemTracer().startSpan(`tandem.projection ${projection.name}`, {
    root: true,
    kind: SpanKind.CONSUMER,
    attributes: {
      'tandem.projection': projection.name,
      'tandem.namespace': namespace,
      'tandem.batch.first_position': batch[0]?.position ?? 0,
      'tandem.batch.last_position': batch.at(-1)?.position ?? 0,
      'tandem.batch.events': batch.length,
    },
  });
  if (span.isRecording()) span.addLinks(batchLinks(new Set(projection.events), batch));
  try {
    const value = await work();
    span.end();
    return value;
  } catch (error) {
    endWithError(span, error);
    throw error;
  }
}
