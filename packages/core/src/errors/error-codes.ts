/**
 * The catalog of stable error codes. Codes are part of Tandem's public contract: clients branch on
 * them, so a code is never renamed or reused. `docs/errors.md` documents each one and a unit test
 * keeps the two in step. Transport mappings (HTTP status and so on) live in the transport packages.
 */
export const errorCatalog = {
  validation: {
    title: 'The command or query input is invalid',
    retryable: false,
  },
  unauthenticated: {
    title: 'No valid credentials were presented',
    retryable: false,
  },
  'token-expired': {
    title: 'The bearer token has expired; obtain a new one',
    retryable: false,
  },
  'token-invalid': {
    title: 'The bearer token could not be verified',
    retryable: false,
  },
  forbidden: {
    title: 'The caller may not perform this operation',
    retryable: false,
  },
  'not-found': {
    title: 'The target does not exist or is not visible to the caller',
    retryable: false,
  },
  'unknown-command': {
    title: 'No command of that type is registered',
    retryable: false,
  },
  'concurrency-conflict': {
    title: 'The stream changed since it was read; retry the command',
    retryable: true,
  },
  'idempotency-key-required': {
    title: 'This command needs an idempotency key: a retried request without one would run twice',
    retryable: false,
  },
  'idempotency-in-progress': {
    title: 'A command with the same idempotency key is still running',
    retryable: true,
  },
  'idempotency-mismatch': {
    title: 'The idempotency key was already used with a different payload',
    retryable: false,
  },
  'domain-rule': {
    title: 'The command breaks a business rule',
    retryable: false,
  },
  'payload-too-large': {
    title: 'The request body is larger than allowed',
    retryable: false,
  },
  'unsupported-media-type': {
    title: 'The request body must be application/json',
    retryable: false,
  },
  'rate-limited': {
    title: 'Too many requests from this caller; retry after the time given',
    retryable: true,
  },
  unavailable: {
    title: 'A backing store is unavailable',
    retryable: true,
  },
  internal: {
    title: 'An unexpected error occurred',
    retryable: false,
  },
} as const satisfies Record<string, { readonly title: string; readonly retryable: boolean }>;

/** A stable error code from {@link errorCatalog}. */
export type ErrorCode = keyof typeof errorCatalog;

/** Every code, in catalog order. */
export const errorCodes = Object.keys(errorCatalog) as ErrorCode[];
