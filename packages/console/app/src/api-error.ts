/** A refusal or failure of the admin API, with its problem+json when it sent one. */
export class ApiError extends Error {
  constructor(
    /** HTTP status; 0 when no answer came (network down). */
    readonly status: number,
    message: string,
    /** The problem's catalog code (`validation`, `not-found`...), when there was one. */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The error an answer that is not 2xx stands for: its problem's detail, else its status. */
export async function apiErrorOf(response: Response): Promise<ApiError> {
  let detail = `${response.status} ${response.statusText}`.trim();
  let code: string | undefined;
  try {
    const problem = (await response.json()) as { detail?: unknown; code?: unknown; details?: unknown };
    if (typeof problem.detail === 'string') detail = problem.detail;
    if (typeof problem.code === 'string') code = problem.code;
    const issues = (problem.details as { issues?: { path?: unknown; message?: unknown }[] } | undefined)
      ?.issues;
    if (Array.isArray(issues) && issues.length > 0) {
      detail += `: ${issues.map((issue) => `${String(issue.path)} ${String(issue.message)}`).join('; ')}`;
    }
  } catch {
    // Not JSON (a proxy's page): the status says enough.
  }
  return new ApiError(response.status, detail, code);
}
