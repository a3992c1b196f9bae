import type { ErrorCode } from '@tandem/core';

/**
 * The one place that maps error codes to HTTP statuses. `satisfies` makes a new catalog code a
 * compile error here until it is mapped; docs/errors.md lists the same table and a test checks it.
 */
export const errorStatus = {
  validation: 400,
  'idempotency-key-required': 400,
  unauthenticated: 401,
  'token-expired': 401,
  'token-invalid': 401,
  forbidden: 403,
  'not-found': 404,
  'unknown-command': 404,
  'concurrency-conflict': 409,
  'idempotency-in-progress': 409,
  'payload-too-large': 413,
  'unsupported-media-type': 415,
  'domain-rule': 422,
  'idempotency-mismatch': 422,
  'rate-limited': 429,
  unavailable: 503,
  internal: 500,
} as const satisfies Record<ErrorCode, number>;
