import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
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
export function startTracing(env: NodeJS.ProcessEnv = process.env): RunningTracing | undefined {
  const endpoint = tracingEndpoint(env);
  if (endpoint === undefined) return undefined;
  const resource = defaultResource()
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: read(env, 'OTEL_SERVICE_NAME') ?? 'tandem' }));
  const provider = new BasicTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: endpoint }))],
  });
  if (!trace.setGlobalTracerProvider(provider)) {
    // Someone registered first (an application's own SDK): theirs stays, ours is not used.
    // Nothing was recorded through it: nothing to wait for.
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
