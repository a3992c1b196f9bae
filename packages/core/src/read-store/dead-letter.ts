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

/** The columns SQL read stores keep parked events in (`tandem_rm_parked`). */
export interface DeadLetterRow {
  readonly namespace: string;
  readonly event_id: string;
  /** BIGINT columns may arrive as strings. */
  readonly position: number | string;
  readonly stream_id: string;
  readonly type: string;
  readonly reason: 'failed' | 'blocked';
  readonly error: string;
  readonly attempts: number;
  readonly parked_at: string;
}

/** Maps a `tandem_rm_parked` row to a DeadLetter. */
export function deadLetterFromRow(row: DeadLetterRow): DeadLetter {
  return {
    projection: row.namespace,
    position: Number(row.position),
    eventId: row.event_id,
    streamId: row.stream_id,
    type: row.type,
    reason: row.reason,
    error: row.error,
    attempts: row.attempts,
    parkedAt: row.parked_at,
  };
}
