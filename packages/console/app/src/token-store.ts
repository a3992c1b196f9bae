/**
 * The admin token, kept for the browser tab only (sessionStorage): closing the tab signs out, and
 * no other tab or later visit finds it.
 */
const key = 'tandem-console-token';

/** The token this tab signed in with, if any. */
export function storedToken(): string | undefined {
  return sessionStorage.getItem(key) ?? undefined;
}

/** Keeps the token for this tab. */
export function storeToken(token: string): void {
  sessionStorage.setItem(key, token);
}

/** Forgets the token. */
export function forgetToken(): void {
  sessionStorage.removeItem(key);
}
