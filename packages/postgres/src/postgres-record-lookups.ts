import type { IdempotencyRecord } from '@tandem/core';
import { findRecords } from './postgres-idempotency.js';
import type { Queryable } from './postgres-event-log.js';

interface Waiting {
  readonly commandId: string;
  readonly resolve: (record: IdempotencyRecord | undefined) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Idempotency look-ups outside transactions (every command asks one before it runs), batched: the
 * look-ups asked during one turn of the event loop go to the server as one statement. Commands
 * arrive together under load, and one statement for eight keys costs the server about what one
 * for one key does.
 */
export class PostgresRecordLookups {
  #waiting: Waiting[] = [];
  readonly #run: <T>(work: (client: Queryable) => Promise<T>) => Promise<T>;

  /** @param run runs a query on a pooled connection, its errors classified. */
  constructor(run: <T>(work: (client: Queryable) => Promise<T>) => Promise<T>) {
    this.#run = run;
  }

  /** The committed record for `commandId`, if any. */
  find(commandId: string): Promise<IdempotencyRecord | undefined> {
    return new Promise((resolve, reject) => {
      if (this.#waiting.push({ commandId, resolve, reject }) === 1) setImmediate(() => void this.#flush());
    });
  }

  async #flush(): Promise<void> {
    const waiting = this.#waiting;
    this.#waiting = [];
    try {
      const found = await this.#run((client) =>
        findRecords(client, [...new Set(waiting.map((w) => w.commandId))]),
      );
      for (const w of waiting) w.resolve(found.get(w.commandId));
    } catch (error) {
      for (const w of waiting) w.reject(error);
    }
  }
}
