import { SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';

/** The name every Tandem span is created under (a shared contract with dashboards and tests). */
export const tracerName = 'tandem';

/**
 * Tandem's tracer. Looked up on every call rather than once: an application may register its SDK
 * after importing Tandem, and the API's proxy tracer would hide nothing, but a cached no-op would.
 */
export function tandemTracer(): Tracer {
  return trace.getTracer(tracerName);
}

/** Marks `span` failed with `error` (recorded as an exception event) and ends it. */
export function endWithError(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
  span.end();
}
