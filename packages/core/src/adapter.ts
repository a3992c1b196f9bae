/**
 * `@tandem/core/adapter`: what authors of stores, transports and tools need beside the application
 * API of `@tandem/core`: page cutting, cursors, index planning, dead-letter and status rows, table
 * names, storable-text checks, projection namespaces, the errors a store throws to the daemon.
 * Applications should not need it; its members may change with the ports they serve.
 *
 * @packageDocumentation
 */

// Options: adapters refuse unknown options the same way the core does.
export { assertKnownOptions } from './options/known-options.js';

// Messages: what a store or transport checks before it writes or answers.
export { requiresIdempotencyKey } from './messages/command-definition.js';
export { payloadHash } from './messages/payload-hash.js';
export {
  boundedStorableText,
  checkedJson,
  checkedText,
  identifierIssue,
  isStorableText,
  unstorableReason,
} from './messages/storable-text.js';
export { newEventId } from './messages/event-id.js';

// Idempotency: how a store that ages records in the process tells an expired one.
export { idempotencyExpired } from './write/idempotency-window.js';

// Messaging: the port a relay publishes committed events through.
export type { EventPublisher } from './messaging/event-publisher.js';
export {
  eventEnvelope,
  MalformedEnvelope,
  parseEventEnvelope,
  streamCategory,
  topicToken,
  type EventEnvelope,
} from './messaging/event-envelope.js';

// Event store
export {
  browsePlan,
  checkedBrowseQuery,
  eventBrowseMatches,
  type BrowseFilter,
  type BrowsePlan,
} from './event-store/event-browse.js';
export { versionMatches } from './event-store/expected-version.js';
export { LogNotifier } from './memory/log-notifier.js';

// Write side: what a transport records and how idempotency keys are scoped.
export { auditOutcomeOf } from './write/pipeline/audit-attempts.js';
export { scopedIdempotencyKey } from './write/pipeline/idempotency-scope.js';
export { checkedSnapshot } from './write/stream-snapshot.js';

// Timers: how every store checks and normalizes what it stages, and pages `list`.
export { normalizedTimer, timerDueTime } from './timers/normalized-timer.js';
export { timerListLimit, defaultTimerListLimit, maxTimerListLimit } from './timers/timer-list-limit.js';
export { TimerRequestCollector, type TimerOrigin } from './timers/timer-request-collector.js';

// Tracing: transports continue the caller's trace under Tandem's tracer.
export { formatTraceparent, parseTraceparent } from './tracing/traceparent.js';
export { tandemTracer } from './tracing/tandem-tracer.js';

// Read stores: rows, tables, pages, cursors, index plans, search.
export { deadLetterFromRow, type DeadLetterRow } from './read-store/dead-letter.js';
export { CheckpointMoved } from './read-store/checkpoint-moved.js';
export { ApplyFailed } from './read-store/apply-failed.js';
export { hintedReads } from './read-store/projection-batch.js';
export { ReadModelLost } from './read-store/read-model-lost.js';
export { applyBatchInTransaction } from './read-store/apply-batch-in-transaction.js';
export { activeVersionReader, type ActiveVersionLookups } from './read-store/active-version-reader.js';
export { LeaseLost } from './read-store/projection-leases.js';
export {
  projectionStatusColumns,
  projectionStatusFromRow,
  projectionStatusValues,
  type ProjectionStatusRow,
} from './read-store/projection-status-store.js';
export { planFind, type IndexPlan } from './read-store/index-plan.js';
export {
  readModelNotReady,
  readModelRebuilding,
  readModelSwapping,
} from './read-store/read-model-unavailable.js';
export { checkedField, readModelTable } from './read-store/table-name.js';
export {
  cutPage,
  decodeCursor,
  encodeCursor,
  pageSize,
  type CursorPosition,
} from './read-store/page-cursor.js';
export { compareValues, fieldValue, searchTokens } from './read-store/document-fields.js';
export { searchLimits, searchTerms, type SearchTerm } from './read-store/search-terms.js';
export { isMaintenanceAction } from './read-store/maintenance-requests.js';

// In-memory building blocks: leases and maintenance requests for stores without their own.
export { MemoryLeases } from './memory/memory-leases.js';
export { MemoryMaintenanceRequests } from './memory/memory-maintenance-requests.js';

// Projection namespaces: where a projection version's storage lives.
export { projectionNamespace, namespaceOf } from './projections/projection-definition.js';
export { ProjectionNamespace, type ProjectionNamespaceParts } from './projections/projection-namespace.js';

// Test hooks: reached by `withFailpoint` of `@tandem/testing`, not by applications.
export { attachFailpoint, type Failpoint, type FailpointHandler } from './projections/failpoint.js';
export { attachSchedulerFailpoint } from './timers/timer-options.js';
export type { SchedulerFailpoint, SchedulerFailpointHandler } from './timers/timer-scheduler.js';
