import { errorCatalog, type TandemError } from '@tandem/core';
import { errorStatus } from './error-status.js';

/** An RFC 9457 problem document with Tandem's stable code. */
export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly retryable: boolean;
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * Renders an error for clients. Only the message and the client-safe `details` leave the server:
 * never a stack or a cause, and for `internal` not even the message.
 */
export function problemDetails(error: TandemError): ProblemDetails {
  const entry = errorCatalog[error.code];
  return {
    type: `urn:tandem:error:${error.code}`,
    title: entry.title,
    status: errorStatus[error.code],
    detail: error.code === 'internal' ? entry.title : error.message,
    code: error.code,
    retryable: entry.retryable,
    ...(error.details === undefined || error.code === 'internal' ? {} : { details: error.details }),
  };
}
