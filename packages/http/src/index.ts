export { createHttpServer, createOperationsServer, type HttpServerOptions } from './http-server.js';
export type { RateLimitOptions, RateLimitReason } from './rate-limits.js';
export type { OperationsAccess } from './operations-routes.js';
export { Readiness, type ReadinessCause, type ReadinessOptions, type ReadinessReport } from './readiness.js';
export { registerProjectionMetrics, type ProjectionMetrics } from './projection-metrics.js';
export { registerAdminRoutes, type AdminRoutesOptions } from './admin-routes.js';
export { shownEvent, type ShownEvent } from './shown-event.js';
export { guardUnhandledRejections, unhandledRejectionCount, type RejectionLog } from './rejection-guard.js';
export { errorStatus } from './error-status.js';
export { problemDetails, type ProblemDetails } from './problem-details.js';
export type { Authenticate } from './authenticate.js';
export {
  defaultMaxTokenLifetimeSeconds,
  jwtAuthenticator,
  signToken,
  tokenRules,
  verifyToken,
  type JwksCacheOptions,
  type Rules,
  type TokenAuth,
  type TokenRules,
} from './jwt-auth.js';
export { durationSeconds } from './duration-seconds.js';
export { openApiDocument } from './openapi-document.js';
export type { LiveOverviewOptions } from './admin-live-routes.js';
export type { LiveProjection, LiveSample } from './live-sample.js';
export type { LiveProcess } from './live-processes.js';
export type { CommandTotals } from './command-counts.js';
export type { ProjectionRow } from './projection-rows.js';
