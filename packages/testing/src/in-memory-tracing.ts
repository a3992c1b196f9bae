import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';

/** A tracer provider registered for a test, keeping every ended span in memory. */
export interface InMemoryTracing {
  /** The spans ended so far, in the order they ended. */
  spans(): readonly ReadableSpan[];
  /** The ended spans with this name. */
  named(name: string): readonly ReadableSpan[];
  /** Forgets the spans ended so far. */
  reset(): void;
  /** Unregisters the provider and its context manager (the API falls back to no-ops). */
  stop(): Promise<void>;
}

/**
 * Registers a tracer provider with an in-memory exporter and an AsyncLocalStorage context manager
 * (so active spans follow `await`), as an application's SDK would. One at a time per process:
 * call `stop` in the test's `after`.
 */
export function startInMemoryTracing(): InMemoryTracing {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(provider);
  return {
    spans: () => exporter.getFinishedSpans(),
    named: (name) => exporter.getFinishedSpans().filter((span) => span.name === name),
    reset: () => exporter.reset(),
    async stop() {
      await provider.shutdown();
      trace.disable();
      context.disable();
    },
  };
}
