import { ApiError, apiErrorOf } from './api-error.js';

/** Query parameters: empty and undefined values are left out. */
export type Query = Readonly<Record<string, string | number | undefined>>;

/** A path with its query string. */
export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(name, String(value));
  }
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

/**
 * The admin API with the signed-in token. A 401 at any time (the token expired, the secret
 * rotated) signs out, back to the login form.
 */
export class AdminApi {
  constructor(
    readonly token: string,
    private readonly onUnauthenticated: () => void,
  ) {}

  /** Signs out (the feed or a page saw the token refused). */
  signOut(): void {
    this.onUnauthenticated();
  }

  /** The Authorization header. */
  get headers(): Record<string, string> {
    return { authorization: `Bearer ${this.token}` };
  }

  /** GET, parsed JSON. */
  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return this.send<T>('GET', withQuery(path, query), undefined, signal);
  }

  /** POST with an optional JSON body; the answer's JSON (200 and 202 alike). */
  post<T>(path: string, body?: unknown): Promise<T> {
    return this.send<T>('POST', path, body);
  }

  private async send<T>(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers: { ...this.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal === undefined ? {} : { signal }),
        cache: 'no-store',
      });
    } catch (error) {
      if (signal?.aborted === true) throw error;
      throw new ApiError(
        0,
        `The server did not answer (${error instanceof Error ? error.message : String(error)})`,
      );
    }
    if (response.status === 401) {
      this.onUnauthenticated();
      throw await apiErrorOf(response);
    }
    if (!response.ok) throw await apiErrorOf(response);
    return (await response.json()) as T;
  }
}

/** What checking a token at sign-in found. */
export type TokenCheck = { readonly ok: true } | { readonly ok: false; readonly message: string };

/** Checks a token with `GET /admin/projections`: 401 is no valid token, 403 not an admin's. */
export async function checkToken(token: string): Promise<TokenCheck> {
  let response: Response;
  try {
    response = await fetch('/admin/projections', {
      headers: { authorization: `Bearer ${token}` },
      cache: 'no-store',
    });
  } catch {
    return { ok: false, message: 'The server did not answer; try again.' };
  }
  if (response.ok) return { ok: true };
  if (response.status === 401) return { ok: false, message: 'This is not a valid token.' };
  if (response.status === 403) return { ok: false, message: "This token is not an admin's." };
  return { ok: false, message: (await apiErrorOf(response)).message };
}
