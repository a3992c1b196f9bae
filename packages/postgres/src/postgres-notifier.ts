import type { Pool, PoolClient } from 'pg';
import { type WaitOptions } from '@tandem/core';
import { LogNotifier } from '@tandem/core/adapter';
import { headPosition } from './postgres-event-log.js';

/**
 * Wake-ups from LISTEN/NOTIFY on a dedicated connection, with a poll as the fallback while anyone
 * waits (a lost connection or a missed notification delays a wake-up, never loses it).
 */
export class PostgresNotifier {
  readonly #notifier = new LogNotifier();
  readonly #pool: Pool;
  readonly #channel: string;
  readonly #pollIntervalMs: number;
  #known = 0;
  #listener: Promise<PoolClient | undefined> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(pool: Pool, channel: string, pollIntervalMs: number) {
    this.#pool = pool;
    this.#channel = channel;
    this.#pollIntervalMs = pollIntervalMs;
  }

  /** Waits for the head to pass `after`. */
  async wait(after: number, options?: WaitOptions): Promise<number> {
    this.#listen();
    this.#known = Math.max(this.#known, await headPosition(this.#pool));
    const waiting = this.#notifier.wait(after, () => this.#known, options);
    this.#startPolling();
    return waiting;
  }

  #announcing = false;
  #announceAgain = false;

  /**
   * Tells every process that the log moved: waiters here at once, others by one NOTIFY in its own
   * short transaction. Appends arriving while one is in flight share the next. If this process dies
   * before it is sent, other processes' polls still find the events.
   */
  announce(): void {
    if (this.#notifier.waiting > 0) this.#refresh();
    if (this.#announcing) {
      this.#announceAgain = true;
      return;
    }
    this.#announcing = true;
    this.#announceAgain = false;
    this.#pool
      .query('SELECT pg_notify($1, $2)', [this.#channel, ''])
      .catch(() => undefined) // a lost notification delays a wake-up (the poll covers it)
      .finally(() => {
        this.#announcing = false;
        if (this.#announceAgain && !this.#closed) this.announce();
      });
  }

  /** Stops listening and polling. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    const client = await this.#listener;
    // Destroy rather than return it: the connection is LISTENing.
    client?.release(true);
  }

  #refreshing = false;
  #stale = false;

  /** Re-reads the readable head; notifications arriving meanwhile coalesce into one more read. */
  #refresh(): void {
    if (this.#refreshing) {
      this.#stale = true;
      return;
    }
    this.#refreshing = true;
    this.#stale = false;
    headPosition(this.#pool)
      .then(
        (head) => this.#seen(head),
        () => undefined,
      )
      .finally(() => {
        this.#refreshing = false;
        if (this.#stale && !this.#closed) this.#refresh();
      });
  }

  #seen(head: number): void {
    this.#known = Math.max(this.#known, head);
    this.#notifier.notify(this.#known);
  }

  #listen(): void {
    if (this.#listener !== undefined || this.#closed) return;
    this.#listener = (async () => {
      let client: PoolClient | undefined;
      try {
        client = await this.#pool.connect();
        const connection = client;
        // The payload is the committed position, which may still wait behind an older open
        // transaction: ask for the readable head instead of trusting it.
        connection.on('notification', () => this.#refresh());
        connection.on('error', () => {
          // The connection died (a server restart): hand it back as broken, or the pool would
          // count it forever and never end. The poll covers the gap; the next wait listens again.
          this.#listener = undefined;
          connection.release(true);
        });
        await connection.query(`LISTEN "${this.#channel}"`);
        return connection;
      } catch {
        this.#listener = undefined;
        client?.release(true);
        return undefined;
      }
    })();
  }

  #startPolling(): void {
    if (this.#timer !== undefined || this.#notifier.waiting === 0) return;
    this.#timer = setInterval(() => {
      if (this.#notifier.waiting === 0 || this.#closed) {
        clearInterval(this.#timer);
        this.#timer = undefined;
        return;
      }
      this.#refresh();
    }, this.#pollIntervalMs);
    this.#timer.unref();
  }
}
