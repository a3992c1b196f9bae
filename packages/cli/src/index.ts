export { loadConfig, type AppConfig } from './app-config.js';
export { minimumSecretBytes, resolveSecret } from './dev-secret.js';
export { resolveTokenRules, type TokenConfig } from './resolve-token-rules.js';
export { redactSecrets, redactUrl } from './redact-url.js';
export {
  createProcessLogger,
  logFormat,
  processLogger,
  redactedPaths,
  type ProcessLoggerOptions,
} from './process-logger.js';
export { shutdownTracing, startTracing, tracingEndpoint, type RunningTracing } from './start-tracing.js';
export { defaultMaxDisplayChars, terminalText } from './terminal-text.js';
export { auditTable } from './audit-table.js';
export { openStore } from './open-store.js';
export {
  cursorKeyFor,
  serve,
  type AppFactory,
  type AppOptions,
  type RunningServer,
  type ServeOptions,
} from './serve.js';
export { loadHttpConfig, type HttpConfig } from './http-config.js';
export { withApp } from './with-app.js';
export { openApp, openReadStores, type ReadStores } from './open-app.js';
export { runWorker, type RunningWorker, type WorkerOptions } from './worker.js';
export { runRelay, type RelayProcessOptions, type RunningRelayProcess } from './run-relay.js';
export { startRelays, type RunningRelays, type StartRelaysOptions } from './start-relays.js';
export { closeRelays, openRelays, type ConfiguredRelay } from './open-relays.js';
export { openAppWithRelays, type AppWithRelays } from './open-app-with-relays.js';
export { natsRelayConfig, openNatsPublisher, type NatsRelayConfig } from './nats-relay-config.js';
export { openRabbitPublisher, rabbitRelayConfig, type RabbitRelayConfig } from './rabbit-relay-config.js';
export { processOwnership } from './process-ownership.js';
export { createCli, type CliOptions } from './create-cli.js';
export { textTable } from './text-table.js';
export { progressLine } from './progress-bar.js';
export { performMaintenance, type PerformMaintenanceOptions } from './perform-maintenance.js';
