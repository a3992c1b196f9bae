/**
 * `@tandem/core`: what an application uses. Adapter authors (stores, transports, the CLI) also
 * import `@tandem/core/adapter`; anything in neither entry is internal.
 *
 * @packageDocumentation
 */

// Errors
export { errorCatalog, errorCodes, type ErrorCode } from './errors/error-codes.js';
export { TandemError, reject, type FieldIssue, type TandemErrorOptions } from './errors/tandem-error.js';

// Messages
export type { DomainEvent, EventMetadata, EventPosition, NewEvent, RecordedEvent } from './messages/event.js';
export type { CommandMetadata } from './messages/command-metadata.js';
export { hasRole, type Principal } from './messages/principal.js';
export {
  defineCommand,
  requireRole,
  type AnyCommandDefinition,
  type CommandBuilder,
  type CommandDefinition,
  type CommandOptions,
  type CommandPolicy,
  type ClientCommandInput,
  type Simplify,
  type CommandDataOf,
  type CommandIdsOf,
  type CommandInputOf,
  type CommandTypeOf,
  type CommandTypes,
  type DefinedCommand,
} from './messages/command-definition.js';
export { defaultInputLimits, type InputLimits } from './messages/input-limits.js';

// Event store
export type { EventStore } from './event-store/event-store.js';
export type { BlockingBackend, ReadBarrier } from './event-store/read-barrier.js';
export type { ExpectedVersion } from './event-store/expected-version.js';
export type { AppendResult, StreamAppend } from './event-store/stream-append.js';
export type {
  ReadAllOptions,
  ReadStreamOptions,
  StreamRead,
  WaitOptions,
} from './event-store/stream-read.js';
export {
  browseScanLimit,
  traceIdOf,
  type EventBrowsePage,
  type EventBrowseQuery,
} from './event-store/event-browse.js';
export { Upcasters, type Upcaster } from './event-store/upcasters.js';

export { deciderForStream, type StreamDecider, type StreamDeciders } from './write/stream-deciders.js';
// Write side
export type { Store } from './write/store.js';
export type { Transaction, TransactionEvents } from './write/transaction.js';
export type { SqlExecutor, SqlMigration, SqlValue } from './write/sql-executor.js';
export type {
  IdempotencyClaims,
  IdempotencyPurge,
  IdempotencyReader,
  IdempotencyRecord,
} from './write/idempotency-record.js';
export { defaultIdempotencyWindowMs } from './write/idempotency-window.js';
export { checkedInboxKey, inboxKeyLimit, type InboxClaims } from './write/inbox-claims.js';
export { auditOutcomes } from './write/audit-entry.js';
export type { AuditEntry, AuditOutcome, AuditQuery, StoredAuditEntry } from './write/audit-entry.js';
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
export type { SnapshotPolicy } from './write/snapshot-policy.js';
export type { StreamSnapshot, TransactionSnapshots } from './write/stream-snapshot.js';
export type {
  CommandHandler,
  EventSourcedHandler,
  StateStoredHandler,
  StreamLoader,
} from './write/command-handler.js';
export { defaultRetryPolicy, type RetryPolicy } from './write/retry-policy.js';

// Reactions and workflows
export {
  defineReaction,
  reactionCommandId,
  type Reaction,
  type ReactionOptions,
} from './reactions/define-reaction.js';
export type { ReactionCommand } from './reactions/reaction-command.js';
export type { ReactionHost } from './reactions/reaction-host.js';
export { defineWorkflow, type Workflow, type WorkflowDefinition } from './workflows/define-workflow.js';
export {
  cancelTimer,
  scheduleTimer,
  sendCommand,
  type WorkflowCancel,
  type WorkflowOutput,
  type WorkflowSchedule,
  type WorkflowSend,
} from './workflows/workflow-output.js';
export {
  workflowCommandSent,
  workflowInputRecorded,
  workflowStreamId,
  workflowTimerCancelled,
  workflowTimerScheduled,
  type WorkflowCancelData,
  type WorkflowCommandData,
  type WorkflowInputData,
  type WorkflowTimerData,
} from './workflows/workflow-stream.js';

// Timers
export type { NewTimer, TimedCommand, TimerRequest, TimerRequests } from './timers/timer-request.js';
export type { TransactionTimers } from './timers/transaction-timers.js';
export type { StoredTimer, TimerQuery, TimerState, TimerStore, TimerSummary } from './timers/timer-store.js';
export { checkedTimerId, timerIdLimit } from './timers/timer-id.js';
export { maxTimerDelayMs } from './timers/normalized-timer.js';

// Background jobs
export { LeasedJob, type JobRunContext, type JobStatus, type LeasedJobOptions } from './jobs/leased-job.js';
export {
  purgeExpiredIdempotency,
  type IdempotencyPurgeRound,
  type PurgeExpiredIdempotencyOptions,
} from './jobs/purge-expired-idempotency.js';
export {
  purgeOldAudit,
  type AuditArchive,
  type AuditPurgeRound,
  type PurgeOldAuditOptions,
} from './jobs/purge-old-audit.js';
export { retentionJobs, type RetentionJobsContext, type RetentionOptions } from './jobs/retention-jobs.js';
export {
  TimerScheduler,
  timerCommandId,
  timerSchedulerJob,
  type TimerCommandBus,
  type TimerFiring,
  type SchedulerFailpoint,
  type SchedulerFailpointHandler,
  type TimerSchedulerOptions,
} from './timers/timer-scheduler.js';
export type { TimerOptions } from './timers/timer-options.js';
export { CommandBus, type CommandBusOptions, type ExecuteOptions } from './write/command-bus.js';
export {
  composeMiddleware,
  type CommandContext,
  type CommandMiddleware,
} from './write/pipeline/command-context.js';

// Tracing
export { tracerName } from './tracing/tandem-tracer.js';
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

// Messaging: relays deliver committed events to brokers.
export { defineRelay, type RelayOptions } from './messaging/define-relay.js';
export type { EventPublisher } from './messaging/event-publisher.js';

// The adapter without drivers
export { MemoryStore, type MemoryStoreOptions } from './memory/memory-store.js';
export { MemoryReadStore } from './memory/memory-read-store.js';

// Read side: read stores
export {
  defineCollection,
  type CollectionDefinition,
  type IndexDefinition,
} from './read-store/collection-definition.js';
export type { DocumentReader, DocumentWriter, StoredDocument } from './read-store/document-collection.js';
export type { FieldFilter, FindQuery, Page, SortOrder } from './read-store/find-query.js';
export type { DeadLetter } from './read-store/dead-letter.js';
export type { ReadStore, ReadTransaction } from './read-store/read-store.js';
export type { ReadStoreCapabilities } from './read-store/read-store-capabilities.js';
export type { ProjectionBatch } from './read-store/projection-batch.js';
export type { Lease, LeaseInfo, ProjectionLeases } from './read-store/projection-leases.js';
export type { ProjectionStatusStore, StoredProjectionStatus } from './read-store/projection-status-store.js';
export {
  maintenanceActions,
  type MaintenanceAction,
  type MaintenanceJson,
  type MaintenanceOutcome,
  type MaintenanceRequest,
  type MaintenanceRequests,
  type MaintenanceRequestOptions,
  type MaintenanceState,
} from './read-store/maintenance-requests.js';

// Read side: projections
export {
  defineProjection,
  type defineProjectionFor,
  type defineProjectionImpl,
  eachEvent,
  type AnyProjection,
  type CollectionMap,
  type CollectionsOf,
  type NamedProjection,
  type ProjectionOptionsFor,
  type DocumentOf,
  type DocumentReads,
  type FailurePolicy,
  type ProjectionContext,
  type ProjectionDefinition,
  type SqlContext,
} from './projections/projection-definition.js';
export {
  projectionStates,
  stallCauses,
  type PartitionStatus,
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
export type { CollectionDiff, VerifyReport } from './projections/verify-report.js';

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
