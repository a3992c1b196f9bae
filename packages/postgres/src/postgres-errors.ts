import { TandemError } from '@tandem/core';

const connectionCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08003',
  '08006',
  '08001',
  '08004',
]);

/**
 * Text the server cannot store or parse: an invalid byte sequence (U+0000 in a parameter), a
 * character the encoding lacks, `\u0000` in JSON for `jsonb`, an invalid escape.
 */
const unstorableTextCodes = new Set(['22021', '22P05', '22025', '22P06']);

function codeOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

/** What the server said about the value it refused, for the caller (no statement text). */
function refusal(error: Error): string {
  const detail = 'detail' in error && typeof error.detail === 'string' ? ` (${error.detail})` : '';
  return `${error.message}${detail}`;
}

/**
 * Classifies a driver error into the catalog: unique violations on a stream version and
 * serialization failures are retryable conflicts; lost or refused connections are `unavailable`;
 * text the database cannot store (U+0000, a lone surrogate in JSON) and values too large for an
 * index are the caller's input, `validation`. Anything else is returned unchanged for the pipeline
 * to report as internal.
 */
export function classifyPostgresError(error: unknown): unknown {
  if (error instanceof TandemError) return error;
  const code = codeOf(error);
  if (code === '23505' && error instanceof Error && /tandem_events_stream_id/.test(error.message)) {
    return new TandemError('concurrency-conflict', 'Another writer appended to the stream first', {
      cause: error,
    });
  }
  if (code === '23505' && error instanceof Error && /tandem_timers_pending/.test(error.message)) {
    // Two transactions scheduled one timer name at once: the later one retries, and replaces it.
    return new TandemError(
      'concurrency-conflict',
      'Another transaction scheduled a timer of this name first',
      {
        cause: error,
      },
    );
  }
  if (code === '40001' || code === '40P01') {
    return new TandemError('concurrency-conflict', 'The transaction lost a serialization race', {
      cause: error,
    });
  }
  if (
    error instanceof Error &&
    code !== undefined &&
    (unstorableTextCodes.has(code) ||
      // invalid_text_representation: for JSON with a lone surrogate escape; otherwise often a bug.
      (code === '22P02' && /Unicode|surrogate/i.test(refusal(error))))
  ) {
    const message = `The input contains text the database cannot store: ${refusal(error)}`;
    return new TandemError('validation', message, {
      cause: error,
      details: { issues: [{ path: '', message }] },
    });
  }
  if (code === '54000' && error instanceof Error) {
    // program_limit_exceeded: an index row (a huge id) or a value beyond what a column can hold.
    // The server's message names the index: not for clients.
    const message =
      'A value is too large for the database to store (an id or key longer than its index allows)';
    return new TandemError('validation', message, {
      cause: error,
      details: { issues: [{ path: '', message }] },
    });
  }
  if (
    (code !== undefined && connectionCodes.has(code)) ||
    (error instanceof Error &&
      /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect|Client has encountered a connection error/.test(
        error.message,
      ))
  ) {
    return new TandemError('unavailable', 'PostgreSQL is unavailable', { cause: error });
  }
  return error;
}
