import { context, propagation, trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { redactSecrets } from './redact-url.js';

/** A tracer provider this process started and registered. */
export interface RunningTracing {
  /** Where spans go (credentials hidden), for the start-up line. */
  readonly endpoint: string;
  /** Exports what is still buffered, then unregisters the provider. */
  shutdown(): Promise<void>;
}

function read(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/**
 * The OTLP endpoint traces go to, from the standard variables, or undefined when nothing is to be
 * exported: OTEL_SDK_DISABLED=true, OTEL_TRACES_EXPORTER without `otlp` (such as `none`), or
 * neither OTEL_EXPORTER_OTLP_TRACES_ENDPOINT nor OTEL_EXPORTER_OTLP_ENDPOINT set.
 */
export function tracingEndpoint(env: NodeJS.ProcessEnv): string | undefined {
  if (read(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return undefined;
  const exporters = (read(env, 'OTEL_TRACES_EXPORTER') ?? 'otlp').split(',').map((e) => e.trim());
  if (!exporters.includes('otlp')) return undefined;
  const traces = read(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  if (traces !== undefined) return traces;
  const base = read(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  // As the exporter does: the signal's path is appended to the base endpoint.
  return base === undefined ? undefined : `${base.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * Starts the OpenTelemetry SDK for `tandem serve` and `tandem worker`, when the standard `OTEL_*`
 * variables ask for it (see {@link tracingEndpoint}): spans go by OTLP over HTTP through a batch
 * processor (OTEL_BSP_* tune it), sampled per OTEL_TRACES_SAMPLER, under OTEL_SERVICE_NAME
 * (default `tandem`) and OTEL_RESOURCE_ATTRIBUTES. Registers an AsyncLocalStorage context manager
 * (so a command's span nests under its request's) and the W3C trace-context propagator. Answers
 * undefined when nothing is to be exported, or when the application registered a provider itself.
 */
export async function startTracing(
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningTracing | undefined> {
  const endpoint = tracingEndpoint(env);
  if (endpoint === undefined) return undefined;
  // Loaded only when spans are exported: the SDK and the exporter are a quarter of the command
  // line's start-up time (measured: 0.3 s of 1.15 s to import @tandem/cli), and most runs export
  // nothing.
  const [
    { AsyncLocalStorageContextManager },
    { W3CTraceContextPropagator },
    { OTLPTraceExporter },
    { defaultResource, detectResources, envDetector, resourceFromAttributes },
    { BasicTracerProvider, BatchSpanProcessor },
    { ATTR_SERVICE_NAME },
  ] = await Promise.all([
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/core'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/semantic-conventions'),
  ]);
  const resource = defaultResource()
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: read(env, 'OTEL_SERVICE_NAME') ?? 'tandem' }));
  const provider = new BasicTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: endpoint }))],
  });
  if (!trace.setGlobalTracerProvider(provider)) {
    // Someone registered first (an application's own SDK): theirs stays, ours is not used.
    // Nothing was recorded through it, so its shutdown has nothing to flush and nothing to lose:
    // not awaited, and a failure of it is not worth a line.
    provider.shutdown().catch(() => undefined);
    return undefined;
  }
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  return {
    endpoint: redactSecrets(endpoint),
    async shutdown() {
      try {
        await provider.shutdown();
      } finally {
        trace.disable();
        context.disable();
        propagation.disable();
      }
    },
  };
}

/** Flushes the spans still buffered; a collector that is down costs a log line, not the shutdown. */
export async function shutdownTracing(tracing: RunningTracing | undefined, logger: Logger): Promise<void> {
  try {
    await tracing?.shutdown();
  } catch (error) {
    logger.warn({ err: error }, 'tracing: the last spans could not be exported');
  }
}
