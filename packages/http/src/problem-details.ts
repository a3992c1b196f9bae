import { errorCatalog, type ErrorCode, type TandemError } from '@tandem/core';
import { errorStatus } from './error-status.js';

/** An RFC 9457 problem document with Tandem's stable code. */
export interface ProblemDetails {
  /** `urn:tandem:error:<code>`: stable, so clients may branch on it as on `code`. */
  readonly type: string;
  /** The catalog's one-line title for the code. */
  readonly title: string;
  /** The HTTP status, repeated for clients that only keep the body. */
  readonly status: number;
  /** What went wrong with this request; generic for `internal`. */
  readonly detail: string;
  /** The stable error code from the catalog. */
  readonly code: ErrorCode;
  /** Whether sending the same request again may succeed. */
  readonly retryable: boolean;
  /** Client-safe structured details, such as validation `issues`. */
  readonly details?: Readonly<Record<string, unknown>>;
  /**
   * `urn:tandem:request:<id>`: the request, as the server's logs name it (also in the `Request-Id`
   * header). Quote it when reporting an `internal` error: its cause is logged under that id.
   */
  readonly instance?: string;
}

/**
 * Renders an error for clients. Only the message and the client-safe `details` leave the server:
 * never a stack or a cause, and for `internal` not even the message.
 */
export function problemDetails(error: TandemError, requestId?: string): ProblemDetails {
  const entry = errorCatalog[error.code];
  return {
    type: `urn:tandem:error:${error.code}`,
    title: entry.title,
    status: errorStatus[error.code],
    detail: error.code === 'internal' ? entry.title : error.message,
    code: error.code,
    retryable: entry.retryable,
    ...(error.details === undefined || error.code === 'internal' ? {} : { details: error.details }),
    ...(requestId === undefined ? {} : { instance: `urn:tandem:request:${requestId}` }),
  };
}
