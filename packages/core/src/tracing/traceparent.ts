import { INVALID_SPAN_CONTEXT, isSpanContextValid, TraceFlags, type SpanContext } from '@opentelemetry/api';

/** `version-traceid-spanid-flags`, lower-case hex, as W3C Trace Context writes it. */
const pattern = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * The W3C `traceparent` of a span context, or undefined when the context is invalid (no SDK is
 * registered and no caller sent one): then there is nothing worth storing. Written by hand rather
 * than through the global propagator, so the events carry it whichever propagator an application
 * registered (or none).
 */
export function formatTraceparent(spanContext: SpanContext | undefined): string | undefined {
  // The API's shared invalid context (no SDK) first: no regular expression per command then.
  if (spanContext === undefined || spanContext === INVALID_SPAN_CONTEXT || !isSpanContextValid(spanContext))
    return undefined;
  const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, '0');
  return `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
}

/**
 * The remote span context a `traceparent` names, or undefined when the text is not one (a header
 * is caller input: anything else is ignored, never an error). Version 00 only, as the spec asks
 * of a parser that knows no later version's layout.
 */
export function parseTraceparent(text: unknown): SpanContext | undefined {
  if (typeof text !== 'string') return undefined;
  const match = pattern.exec(text.trim());
  if (match === null) return undefined;
  const [, traceId = '', spanId = '', flags = '00'] = match;
  const spanContext: SpanContext = {
    traceId,
    spanId,
    traceFlags: Number.parseInt(flags, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
  return isSpanContextValid(spanContext) ? spanContext : undefined;
}
