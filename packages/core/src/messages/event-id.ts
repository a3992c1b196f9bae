import { randomFillSync } from 'node:crypto';
import { v7 } from 'uuid';

/**
 * Random bytes for ids, filled 256 ids at a time: one `getRandomValues` per id (what `v7()` does
 * by itself) cost about 15 µs each in the append profiles of issue 5, a fifth of an append.
 */
const pool = new Uint8Array(16 * 256);
let poolOffset = pool.length;

/** The time and sequence of the last id, kept as `v7()` keeps its own (RFC 9562, method 1). */
let lastMsecs = -Infinity;
let lastSeq = 0;

function randomBytes16(): Uint8Array {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const bytes = pool.subarray(poolOffset, poolOffset + 16);
  poolOffset += 16;
  return bytes;
}

/**
 * A new event id: a UUID version 7, whose leading 48 bits are the creation time in milliseconds.
 * Time-ordered ids land at the right-hand edge of the stores' unique `event_id` index instead of
 * at random pages, so an append dirties one index page rather than one per event (fewer page
 * writes, far fewer full-page images in PostgreSQL's WAL). See docs/decisions/0005.
 *
 * Within one millisecond the 31-bit sequence counts up from a random start, as `v7()` does, so
 * ids from this process stay strictly increasing; only the random bytes come from a pool.
 */
export function newEventId(): string {
  const random = randomBytes16();
  const now = Date.now();
  if (now > lastMsecs) {
    lastMsecs = now;
    // 31 random bits, leaving room to count up within the millisecond.
    lastSeq =
      (((random[6] ?? 0) & 0x7f) << 24) |
      ((random[7] ?? 0) << 16) |
      ((random[8] ?? 0) << 8) |
      (random[9] ?? 0);
  } else {
    lastSeq = (lastSeq + 1) | 0;
    // The counter wrapped: borrow the next millisecond, as `v7()` does.
    if (lastSeq === 0) lastMsecs += 1;
  }
  return v7({ msecs: lastMsecs, seq: lastSeq, random });
}
