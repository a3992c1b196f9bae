/**
 * The key an idempotency record is stored under: the caller's key within the caller's own scope,
 * as Stripe scopes keys per account. Without the scope one user could claim a key another will use
 * (their command then answers `idempotency-mismatch`), learn from that answer which keys others
 * used, and, since generated ids derive from the key, squat the ids another user's command would
 * create. A JSON pair, so no user id and key can run together into another pair's text.
 *
 * Exported only for the bench's raw-command server, which looks records up the way the pipeline
 * stores them; neither applications nor adapters need it.
 *
 * @internal
 */
export function scopedIdempotencyKey(userId: string, key: string): string {
  return JSON.stringify([userId, key]);
}
