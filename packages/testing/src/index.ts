export { eventually, type EventuallyOptions } from './eventually.js';
export { bundleChild, type BundledChild } from './bundle-child.js';
export { tcpProxy, type TcpProxy } from './tcp-proxy.js';
export { deciderSpec, type DeciderThen } from './decider-spec.js';
export { workflowSpec, type SpecInput, type WorkflowThen } from './workflow-spec.js';
export { countingReadStore, type ReadCounts } from './counting-read-store.js';
export {
  describeStoreConformance,
  storeConformanceCases,
  type StoreConformanceCase,
  type StoreConformanceOptions,
} from './conformance/store-conformance.js';
export {
  describeReadStoreConformance,
  readStoreConformanceCases,
  type ReadStoreConformanceCase,
} from './conformance/read-store-conformance.js';
export { describeDaemonConformance, type DaemonFixture } from './conformance/daemon-conformance.js';
export { describeReactionConformance } from './conformance/reaction-conformance.js';
export {
  describeSchedulerConformance,
  incrementTimer,
  increments,
  scheduleTimers,
  timerNamed,
  type SchedulerFixture,
} from './conformance/scheduler-conformance.js';
export {
  describeSplitPartitionsConformance,
  type SplitPartitionsFixture,
} from './conformance/split-partitions-conformance.js';
export {
  admin,
  alice,
  counterApp,
  counterDecider,
  type CounterCommand,
  type CounterEvent,
  type CounterState,
} from './fixtures/counter-app.js';
export { auditRow } from './fixtures/audit-row.js';
export { objectSchema, int, optional, str, type Check } from './fixtures/test-schema.js';
export { tallyApp, type TallyEvent, type TallyOptions, type TallyState } from './fixtures/tally-app.js';
export {
  counterProjection,
  counters,
  faults,
  foldCounters,
  type CounterDoc,
} from './fixtures/counter-projection.js';
export {
  catalogProducts,
  heaviestTerms,
  searchCatalog,
  type CatalogProduct,
} from './fixtures/search-catalog.js';
export { startInMemoryTracing, type InMemoryTracing } from './in-memory-tracing.js';
export { defaultSpecStream, type GivenEvent } from './specs/given-events.js';
export {
  projectionSpec,
  type DocumentsExpectation,
  type ProjectionSpecOptions,
  type ProjectionThen,
  type SpecQuery,
} from './specs/projection-spec.js';
export {
  handlerSpec,
  type ExpectedRows,
  type ExpectedStreams,
  type GivenRows,
  type HandlerGiven,
  type HandlerSpecOptions,
  type HandlerThen,
  type SpecCommand,
} from './specs/handler-spec.js';
export {
  testApp,
  type TestApp,
  type TestAppOptions,
  type TestCommandIds,
  type TestCommandOptions,
  type TestQueryArgs,
  type TestQueryOptions,
} from './specs/test-app.js';
export { withFailpoint } from './with-failpoint.js';
export { withSchedulerFailpoint } from './with-scheduler-failpoint.js';
export {
  checkpointBeforeAcknowledgement,
  killingPublisher,
  killPoints,
  type KillPoint,
} from './relay-faults.js';
export { startRelayChild, type ChildOutcome, type RelayChild } from './relay-child.js';
export { schedulerKills, type SchedulerKillsOptions } from './scheduler-kills.js';
export { incrementLoad, type IncrementLoad } from './increment-load.js';
export { readWholeLog } from './read-whole-log.js';
export { freePort } from './free-port.js';
export { exactlyOnceInOrder, type DeliveredEvent, type ExactlyOnceOptions } from './exactly-once-in-order.js';
export type { Failpoint, FailpointHandler } from '@tandem/core/adapter';
export { retentionAcrossProcesses } from './retention-across-processes.js';
