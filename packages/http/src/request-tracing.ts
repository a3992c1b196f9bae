import {
  context as otelContext,
  INVALID_SPAN_CONTEXT,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
} from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseTraceparent, tandemTracer } from '@tandem/core/adapter';
import type { HttpRequestMetrics } from './http-request-metrics.js';
import { requestHeader } from './request-header.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's trace context (its server span active), when it is traced. */
    tandemTrace: Context | undefined;
  }
}

/** The route a request matched, as its pattern (`/commands/:type`), or undefined when none did. */
export function routeOf(request: FastifyRequest): string | undefined {
  return request.routeOptions.url;
}

/**
 * Runs `work` with the request's server span active, so the spans it starts (a command's, a
 * query's) are the request's children. As it is when the request is not traced.
 */
export function inRequestContext<T>(request: FastifyRequest, work: () => T): T {
  const traced = request.tandemTrace;
  return traced === undefined ? work() : otelContext.with(traced, work);
}

/** The route of every command request. */
const commandRoute = '/commands/:type';

/** Options for {@link registerRequestTracing}. */
export interface RequestTracingOptions {
  /** Counts and times each request, by method, route and status. */
  readonly metrics: HttpRequestMetrics;
  /**
   * Log one line per completed request (route, status, duration, and the command's ids): of
   * every request, of command requests only, or of none.
   */
  readonly logCompletion: 'all' | 'commands' | 'off';
}

/**
 * The first hook of every request: a server span `HTTP <METHOD> <route>` (a child of the caller's
 * `traceparent` when it sent a valid one), and the request's logger bound to its trace id; after
 * the answer, the span's status, the request metrics and (when on) the one completion log line.
 * Callback-style hooks, and nothing per request beyond the metrics when no SDK is registered and
 * no caller sent a trace context: the span is then a no-op with nothing to bind.
 */
export function registerRequestTracing(app: FastifyInstance, options: RequestTracingOptions): void {
  app.decorateRequest('tandemTrace', undefined);
  app.addHook('onRequest', (request, _reply, done) => {
    const route = routeOf(request);
    const remote = parseTraceparent(requestHeader(request, 'traceparent'));
    const parent = remote === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, remote);
    const span = tandemTracer().startSpan(
      route === undefined ? `HTTP ${request.method}` : `HTTP ${request.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          ...(route === undefined ? {} : { 'http.route': route }),
        },
      },
      parent,
    );
    // Without an SDK the span is the API's shared invalid one: nothing to record or bind, and the
    // checks below cost a regular expression per request (measured: the attributes and the check
    // were a tenth of this hook's time on a query), so they are left out.
    const spanContext = span.spanContext();
    if (spanContext === INVALID_SPAN_CONTEXT) return done();
    if (span.isRecording())
      span.setAttributes({
        'url.path': request.url.split('?', 1)[0] ?? '',
        'client.address': request.ip,
        'tandem.request_id': request.id,
      });
    if (span.isRecording() || trace.isSpanContextValid(spanContext)) {
      request.tandemTrace = trace.setSpan(parent, span);
      // Every line this request logs, Fastify's and ours, names its trace.
      request.log = request.log.child({ traceId: spanContext.traceId });
    }
    done();
  });
  app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done) => {
    const route = routeOf(request);
    const status = reply.statusCode;
    const seconds = reply.elapsedTime / 1_000;
    options.metrics.observe(request.method, route ?? 'unmatched', status, seconds);
    const traced = request.tandemTrace;
    if (traced !== undefined) {
      const span = trace.getSpan(traced);
      if (span !== undefined) {
        span.setAttribute('http.response.status_code', status);
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      }
    }
    if (options.logCompletion === 'all' || (options.logCompletion === 'commands' && route === commandRoute))
      request.log.info(
        {
          method: request.method,
          route: route ?? 'unmatched',
          status,
          durationMs: Math.round(reply.elapsedTime * 10) / 10,
        },
        'request completed',
      );
    done();
  });
}
