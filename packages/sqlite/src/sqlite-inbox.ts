import type Database from 'better-sqlite3';
import { checkedInboxKey } from '@tandem/core';

/**
 * Inbox claims on the writer connection (see `InboxClaims`). The store's one writer runs a group's
 * transactions one after another, so a claim sees every earlier claim of its group: a second claim
 * of one pair answers false, as it would in a later transaction; and a group rolled back for one
 * member's failure runs the others again, where they claim afresh.
 */
export class SqliteInbox {
  readonly #insert: Database.Statement<[string, string, string]>;

  constructor(db: Database.Database) {
    this.#insert = db.prepare(
      `INSERT INTO tandem_inbox (consumer, message_id, received_at)
       VALUES (?, ?, ?) ON CONFLICT (consumer, message_id) DO NOTHING`,
    );
  }

  /** True when the pair was not claimed yet (it is now, in the open transaction). */
  claim(consumer: string, messageId: string): boolean {
    const info = this.#insert.run(
      checkedInboxKey(consumer, 'consumer'),
      checkedInboxKey(messageId, 'messageId'),
      new Date().toISOString(),
    );
    return info.changes === 1;
  }
}
