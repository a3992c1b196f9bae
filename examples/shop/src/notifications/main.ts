// `npm run notifications`: the shop's order-notifications service, a separate process with its own
// store that reads the order events the shop's relay publishes to NATS JetStream. It listens on no
// port: its input is its durable consumer, its output its own table of customer notifications.
import { createProcessLogger, logFormat, redactUrl } from '@tandem/cli';
import { guardUnhandledRejections } from '@tandem/http';
import { loadNotificationsConfig } from './notifications-config.js';
import { startNotificationsService } from './notifications-service.js';

const env = process.env;
const format = logFormat(env);
const logger = createProcessLogger({
  level: env.TANDEM_LOG_LEVEL?.trim() || 'info',
  ...(format === undefined ? {} : { format }),
  base: { process: 'notifications' },
});

let config;
try {
  config = loadNotificationsConfig(env);
} catch (error) {
  logger.error({ err: error }, 'notifications: bad configuration');
  process.exit(1);
}
// A signal while the service waits for NATS or the stream ends the wait, and the process.
const starting = new AbortController();
const abortStart = (signal: NodeJS.Signals) => {
  logger.info(`${signal} before the service started: exiting`);
  starting.abort();
};
process.once('SIGTERM', abortStart);
process.once('SIGINT', abortStart);
let service;
try {
  service = await startNotificationsService(config, logger, starting.signal);
} catch (error) {
  if (!starting.signal.aborted) logger.error({ err: error }, 'notifications: could not start');
  process.exit(starting.signal.aborted ? 0 : 1);
}
process.off('SIGTERM', abortStart);
process.off('SIGINT', abortStart);
// The last resort of a long-running process: a dropped promise's rejection is logged, never the end
// of the service and its messages in flight.
guardUnhandledRejections((reason) =>
  logger.error({ err: reason }, 'unhandled promise rejection (a bug: the service goes on)'),
);
logger.info(
  {
    durable: config.durable,
    stream: config.stream,
    database: redactUrl(config.databaseUrl),
    nats: config.natsServers.map(redactUrl),
  },
  `notifications: consuming ${config.subjectPrefix}.order.> from ${config.stream} as ${config.durable}`,
);

// Counters for the operator, when they change; not a health endpoint (the service serves none).
let reported = '';
const report = setInterval(() => {
  // The last error is left out: the consumer logged it when it happened.
  const { state, lastError: _logged, ...counts } = service.status();
  const line = JSON.stringify(counts);
  if (line !== reported) logger.info({ state, ...counts }, 'notifications: status');
  reported = line;
}, 5_000);
report.unref();

const onSignal = (signal: NodeJS.Signals) => {
  clearInterval(report);
  logger.info(`${signal}: finishing the messages in process, then closing the store`);
  service.stop().then(
    () => {
      const { lastError: _logged, ...counts } = service.status();
      logger.info(counts, 'notifications: stopped');
      process.exit(0);
    },
    (error: unknown) => {
      logger.error({ err: error }, 'notifications: stopping failed');
      process.exit(1);
    },
  );
};
process.once('SIGTERM', onSignal);
process.once('SIGINT', onSignal);
