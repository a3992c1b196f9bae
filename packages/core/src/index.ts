// Errors
export { errorCatalog, errorCodes, type ErrorCode } from './errors/error-codes.js';
export { TandemError, reject, type FieldIssue, type TandemErrorOptions } from './errors/tandem-error.js';

// Options
export { assertKnownOptions } from './options/known-options.js';

// Messages
export type { DomainEvent, EventMetadata, EventPosition, NewEvent, RecordedEvent } from './messages/event.js';
export type { CommandMetadata } from './messages/command-metadata.js';
export { hasRole, type Principal } from './messages/principal.js';
export {
  defineCommand,
  requireRole,
  requiresIdempotencyKey,
  type AnyCommandDefinition,
  type CommandBuilder,
  type CommandDefinition,
  type CommandOptions,
  type CommandPolicy,
  type ClientCommandInput,
  type CommandDataOf,
  type CommandIdsOf,
  type CommandInputOf,
  type CommandTypeOf,
  type CommandTypes,
  type DefinedCommand,
} from './messages/command-definition.js';
export { findUnknownKeys, validateInput } from './messages/validate-input.js';
export { canonicalJson, payloadHash } from './messages/payload-hash.js';
export { derivedId } from './messages/derived-id.js';
export {
  boundedStorableText,
  checkedJson,
  checkedText,
  identifierIssue,
  isStorableText,
  unstorableReason,
} from './messages/storable-text.js';
export {
  checkInputShape,
  defaultInputLimits,
  inputIssues,
  type InputLimits,
} from './messages/input-limits.js';
export { newEventId } from './messages/event-id.js';

// Event store
export type { EventStore } from './event-store/event-store.js';
export type { BlockingBackend, ReadBarrier } from './event-store/read-barrier.js';
export { versionMatches, type ExpectedVersion } from './event-store/expected-version.js';
export type { AppendResult, StreamAppend } from './event-store/stream-append.js';
export type {
  ReadAllOptions,
  ReadStreamOptions,
  StreamRead,
  WaitOptions,
} from './event-store/stream-read.js';
export { Upcasters, type Upcaster } from './event-store/upcasters.js';
export { upcastingEventStore } from './event-store/upcasting-event-store.js';

// Write side
export type { Store } from './write/store.js';
export type { Transaction, TransactionEvents } from './write/transaction.js';
export type { SqlExecutor, SqlMigration, SqlValue } from './write/sql-executor.js';
export type { IdempotencyClaims, IdempotencyReader, IdempotencyRecord } from './write/idempotency-record.js';
export type { AuditEntry, AuditOutcome, AuditQuery } from './write/audit-entry.js';
export type { AuditLog, AuditWriter } from './write/audit-log.js';
export type { CommandResult } from './write/command-result.js';
export type { CommandOutcome, CommandRequest, CommandRunIds } from './write/command-request.js';
export type {
  AuditFailureListener,
  CommandSettled,
  CommandSettledListener,
  CommandSettledOutcome,
} from './write/command-observer.js';
export type { HandlerInput } from './write/handler-input.js';
export type { StreamEvents } from './write/stream-events.js';
export { fold, type Decider } from './write/decider.js';
export type {
  CommandHandler,
  EventSourcedHandler,
  StateStoredHandler,
  StreamLoader,
} from './write/command-handler.js';
export { defaultRetryPolicy, type RetryPolicy } from './write/retry-policy.js';
export { CommandBus, type CommandBusOptions } from './write/command-bus.js';
export {
  composeMiddleware,
  type CommandContext,
  type CommandMiddleware,
} from './write/pipeline/command-context.js';
export { auditOutcomeOf } from './write/pipeline/audit-attempts.js';
export { scopedIdempotencyKey } from './write/pipeline/idempotency-scope.js';

// Tracing
export { formatTraceparent, parseTraceparent } from './tracing/traceparent.js';
export { tandemTracer, tracerName } from './tracing/tandem-tracer.js';
export {
  createTandem,
  type CommandNamed,
  type QueryNamed,
  type Tandem,
  type TandemOptions,
  type TypedCommandRequest,
  type TypedQueryOutcome,
  type TypedQueryRequest,
} from './tandem.js';

// Adapters without drivers
export { MemoryStore } from './memory/memory-store.js';
export { LogNotifier } from './memory/log-notifier.js';

// Read side: read stores
export {
  defineCollection,
  type CollectionDefinition,
  type IndexDefinition,
} from './read-store/collection-definition.js';
export type { DocumentReader, DocumentWriter, StoredDocument } from './read-store/document-collection.js';
export type { FieldFilter, FindQuery, Page, SortOrder } from './read-store/find-query.js';
export { deadLetterFromRow, type DeadLetter, type DeadLetterRow } from './read-store/dead-letter.js';
export { CheckpointMoved, type ReadStore, type ReadTransaction } from './read-store/read-store.js';
export {
  LeaseLost,
  type Lease,
  type LeaseInfo,
  type ProjectionLeases,
} from './read-store/projection-leases.js';
export {
  projectionStatusColumns,
  projectionStatusFromRow,
  projectionStatusValues,
  type ProjectionStatusRow,
  type ProjectionStatusStore,
  type StoredProjectionStatus,
} from './read-store/projection-status-store.js';
export { planFind, type IndexPlan } from './read-store/index-plan.js';
export { readModelNotReady, readModelSwapping } from './read-store/read-model-unavailable.js';
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
export { MemoryReadStore } from './memory/memory-read-store.js';
export { MemoryLeases } from './memory/memory-leases.js';
export { MemoryMaintenanceRequests } from './memory/memory-maintenance-requests.js';
export {
  isMaintenanceAction,
  maintenanceActions,
  type MaintenanceAction,
  type MaintenanceJson,
  type MaintenanceOutcome,
  type MaintenanceRequest,
  type MaintenanceRequests,
  type MaintenanceState,
} from './read-store/maintenance-requests.js';

// Read side: projections
export {
  defineProjection,
  eachEvent,
  projectionNamespace,
  namespaceOf,
  type AnyProjection,
  type CollectionMap,
  type CollectionsOf,
  type NamedProjection,
  type ProjectionOptionsFor,
  type DocumentOf,
  type FailurePolicy,
  type ProjectionContext,
  type ProjectionDefinition,
  type SqlContext,
} from './projections/projection-definition.js';
export { ProjectionNamespace, type ProjectionNamespaceParts } from './projections/projection-namespace.js';
export {
  projectionStates,
  stallCauses,
  type ProjectionError,
  type ProjectionStall,
  type ProjectionState,
  type ProjectionStatus,
  type StallCause,
} from './projections/projection-status.js';
export {
  ProjectionDaemon,
  type LocalProjectionStatus,
  type ProjectionEvent,
  type ProjectionObserver,
  type ProjectionDaemonOptions,
  type ProjectionOwnership,
  type RebuildProgress,
} from './projections/projection-daemon.js';
export type { ProjectionLogger } from './projections/projection-logger.js';
export {
  PositionWaiter,
  type LocalProgress,
  type PositionWaiterOptions,
} from './projections/position-waiter.js';
export type { CollectionDiff, VerifyReport } from './projections/verify-report.js';
export type { Failpoint } from './projections/runner-options.js';
export { appliedPositionField, positionGuard } from './projections/position-guard.js';

// Query side
export {
  defineQuery,
  type AnyQueryDefinition,
  type QueryDefinition,
  type QueryCollection,
  type QueryInput,
  type QueryReader,
  type DefinedQuery,
  type QueryNameOf,
  type QueryParamsOf,
  type QueryTypes,
  type QueryViewOf,
  type ViewOf,
} from './query/query-definition.js';
export { QueryBus, type QueryBusOptions, type QueryOutcome, type QueryRequest } from './query/query-bus.js';
export { StoredJson } from './query/stored-json.js';
export { CursorSeal } from './query/cursor-seal.js';
