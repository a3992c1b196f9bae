import type { ErrorCode, FieldIssue } from '@tandem/core';

/** What the server's problem+json body says (see `@tandem/http`'s `ProblemDetails`). */
export interface ProblemBody {
  readonly type?: string;
  readonly title?: string;
  readonly status?: number;
  readonly detail?: string;
  readonly code?: string;
  readonly retryable?: boolean;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly instance?: string;
}

/**
 * A refusal from a Tandem server, or a call that could not reach one. `code` is the stable code
 * from Tandem's error catalog (branch on it, never on `message`); a call that never got an answer
 * (network failure after its retries) is `unavailable` with `status` 0.
 */
export class TandemClientError extends Error {
  /** The catalog code: `validation`, `not-found`, `forbidden`, `unavailable`... */
  readonly code: ErrorCode;
  /** The HTTP status; 0 when no answer came. */
  readonly status: number;
  /** The catalog's one-line title for the code. */
  readonly title: string;
  /** What went wrong with this call, in the server's words. */
  readonly detail: string;
  /** Whether the same call may succeed later (the client already retried the retryable ones). */
  readonly retryable: boolean;
  /** Field-level problems of a `validation` refusal (`{ path, message }`), else empty. */
  readonly issues: readonly FieldIssue[];
  /** The problem's client-safe details, as sent. */
  readonly details: Readonly<Record<string, unknown>> | undefined;
  /** `urn:tandem:request:<id>`: quote it when reporting an `internal` error. */
  readonly instance: string | undefined;

  constructor(status: number, problem: ProblemBody, options?: { readonly cause?: unknown }) {
    const code = (typeof problem.code === 'string' ? problem.code : codeOfStatus(status)) as ErrorCode;
    const detail = problem.detail ?? problem.title ?? `HTTP ${status}`;
    super(detail, options);
    this.name = 'TandemClientError';
    this.code = code;
    this.status = status;
    this.title = problem.title ?? detail;
    this.detail = detail;
    this.retryable = problem.retryable ?? (status === 0 || status === 503 || status === 429);
    this.details = problem.details;
    this.issues = issuesOf(problem.details);
    this.instance = problem.instance;
  }

  /** Whether `error` is a {@link TandemClientError}, optionally with `code`. */
  static is(error: unknown, code?: ErrorCode): error is TandemClientError {
    return error instanceof TandemClientError && (code === undefined || error.code === code);
  }
}

/** A code for answers without a problem body (a proxy's 502, a gateway's 404 page). */
function codeOfStatus(status: number): ErrorCode {
  if (status === 429) return 'rate-limited';
  if (status === 0 || status >= 502) return 'unavailable';
  if (status === 400) return 'validation';
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  return 'internal';
}

function issuesOf(details: Readonly<Record<string, unknown>> | undefined): readonly FieldIssue[] {
  const issues = details?.issues;
  if (!Array.isArray(issues)) return [];
  return issues.filter(
    (issue): issue is FieldIssue =>
      typeof issue === 'object' &&
      issue !== null &&
      typeof (issue as FieldIssue).path === 'string' &&
      typeof (issue as FieldIssue).message === 'string',
  );
}
