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

function codeOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

/**
 * Classifies a driver error into the catalog: unique violations on a stream version and
 * serialization failures are retryable conflicts; lost or refused connections are `unavailable`.
 * Anything else is returned unchanged for the pipeline to report as internal.
 */
export function classifyPostgresError(error: unknown): unknown {
  if (error instanceof TandemError) return error;
  const code = codeOf(error);
  if (code === '23505' && error instanceof Error && /tandem_events_stream_id/.test(error.message)) {
    return new TandemError('concurrency-conflict', 'Another writer appended to the stream first', {
      cause: error,
    });
  }
  if (code === '40001' || code === '40P01') {
    return new TandemError('concurrency-conflict', 'The transaction lost a serialization race', {
      cause: error,
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
