/** An event a projection could not apply, parked so the projection could go on. */
export interface DeadLetter {
  /** Projection namespace (`name@version`). */
  readonly projection: string;
  readonly position: number;
  readonly eventId: string;
  readonly streamId: string;
  readonly type: string;
  /**
   * Why it was parked: its own failure, or `blocked` because an earlier event of the same stream
   * is parked (per-stream order must hold, so later events of that stream wait too).
   */
  readonly reason: 'failed' | 'blocked';
  /** The error message of the failure (for `blocked`, the blocking event's). */
  readonly error: string;
  readonly attempts: number;
  /** ISO-8601 time it was parked. */
  readonly parkedAt: string;
}
