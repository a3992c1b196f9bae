import type { ShownEvent } from '../api-types.js';
import { JsonView } from './json-view.js';

/** An event's JSON as stored and, when upcasters change it, as the app reads it. */
export function EventDetails({ event, state }: { readonly event: ShownEvent; readonly state?: unknown }) {
  return (
    <div class="detail-grid">
      <JsonView label={`Data as stored (schema ${event.schemaVersion})`} value={event.data} />
      {event.upcast === undefined ? null : (
        <JsonView label={`Data as upcast (schema ${event.upcast.schemaVersion})`} value={event.upcast.data} />
      )}
      <JsonView label="Metadata" value={event.metadata} />
      {state === undefined ? null : <JsonView label="State after this event" value={state} />}
      <p class="muted">Event id {event.eventId}</p>
    </div>
  );
}
