import { TandemError } from '@tandem/core';

/** The `code` better-sqlite3 puts on its errors. */
function sqliteCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

const unavailablePrefixes = [
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_IOERR',
  'SQLITE_FULL',
  'SQLITE_CANTOPEN',
  'SQLITE_READONLY',
];

/**
 * Classifies a driver error into the catalog: a clash on a stream version is a concurrency
 * conflict (another writer won), I/O and locking trouble is `unavailable` (retryable). Anything
 * else is returned unchanged for the pipeline to report as internal.
 */
export function classifySqliteError(error: unknown): unknown {
  if (error instanceof TandemError) return error;
  const code = sqliteCode(error);
  if (code === undefined) return error;
  if (
    code.startsWith('SQLITE_CONSTRAINT') &&
    error instanceof Error &&
    error.message.includes('tandem_events.stream_id')
  ) {
    return new TandemError('concurrency-conflict', 'Another writer appended to the stream first', {
      cause: error,
    });
  }
  if (unavailablePrefixes.some((prefix) => code.startsWith(prefix))) {
    return new TandemError('unavailable', `The SQLite database is unavailable (${code})`, { cause: error });
  }
  return error;
}
