import { tandemTracer } from '../../tracing/tandem-tracer.js';
import { TandemError } from '../../errors/tandem-error.js';
import { SpanStatusCode, type Span } from '@opentelemetry/api';
import type { CommandMiddleware } from './command-context.js';

/**
 * Ends a step's span. A refusal (validation, forbidden, a conflict) is the command's answer, not a
 * fault of the step: only `internal` marks the span as an error; the code is recorded either way.
 */
export function endStepSpan(span: Span, error?: unknown): void {
  if (error !== undefined) {
    const refusal = TandemError.from(error);
    span.setAttribute('tandem.error.code', refusal.code);
    if (refusal.code === 'internal') {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: refusal.message });
    }
  }
  span.end();
}

/**
 * A pipeline step with a child span of the command's (`tandem.command.<name>`). The span covers the
 * step's own work: it ends when the step calls `next` (so steps are siblings, not nested), or when
 * the step answers or throws without calling it. With no recording command span (no SDK) the step
 * runs as it is, at no cost.
 */
export function tracedStep(name: string, step: CommandMiddleware): CommandMiddleware {
  const spanName = `tandem.command.${name}`;
  return (context, next) => {
    const parent = context.trace;
    if (parent === undefined) return step(context, next);
    const span = tandemTracer().startSpan(spanName, undefined, parent);
    let ended = false;
    const end = (error?: unknown) => {
      if (ended) return;
      ended = true;
      endStepSpan(span, error);
    };
    return step(context, () => {
      end();
      return next();
    }).then(
      (result) => {
        end();
        return result;
      },
      (error: unknown) => {
        end(error);
        throw error;
      },
    );
  };
}
