import { errorCatalog, type ErrorCode } from './error-codes.js';

/** One problem with one field of an input, as reported by a validator. */
export interface FieldIssue {
  /** Dotted path to the field, `''` for the whole input. */
  readonly path: string;
  /** What is wrong, in the validator's words. */
  readonly message: string;
}

/** Options for {@link TandemError}. */
export interface TandemErrorOptions {
  /** The underlying error, kept for logs and never shown to clients. */
  readonly cause?: unknown;
  /** Structured, client-safe details (field issues, unavailable items...). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * The one error type Tandem raises for expected failures. It carries a stable {@link ErrorCode};
 * `retryable` comes from the catalog so callers never guess.
 */
export class TandemError extends Error {
  override readonly name = 'TandemError';
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message?: string, options: TandemErrorOptions = {}) {
    super(message ?? errorCatalog[code].title, options.cause === undefined ? {} : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }

  /** Whether the same request may succeed if sent again unchanged. */
  get retryable(): boolean {
    return errorCatalog[this.code].retryable;
  }

  /** Whether `error` is a TandemError, optionally with the given code. */
  static is(error: unknown, code?: ErrorCode): error is TandemError {
    return error instanceof TandemError && (code === undefined || error.code === code);
  }

  /** Wraps anything thrown into a TandemError; unknown errors become `internal`, cause preserved. */
  static from(error: unknown): TandemError {
    if (error instanceof TandemError) return error;
    return new TandemError('internal', undefined, { cause: error });
  }
}

/** Throws a `domain-rule` error: the command is well-formed but breaks a business rule. */
export function reject(message: string, details?: Readonly<Record<string, unknown>>): never {
  throw new TandemError('domain-rule', message, details === undefined ? {} : { details });
}
