import { checkedInboxKey } from '@tandem/core';
import type { QueryResult } from 'pg';
import { textArrayLiteral } from './postgres-sql-literal.js';

/** One inbox claim: the consumer and the message id, checked. */
export type InboxPair = readonly [consumer: string, messageId: string];

/**
 * The pair, checked: text PostgreSQL cannot store (U+0000, a lone surrogate), empty or over-long
 * ids are refused (`validation`) before anything reaches a statement other callers share.
 */
export function inboxPair(consumer: string, messageId: string): InboxPair {
  return [checkedInboxKey(consumer, 'consumer'), checkedInboxKey(messageId, 'messageId')];
}

/** One key per pair, for matching the statement's answer (JSON keeps pairs with separators apart). */
export const inboxKey = ([consumer, messageId]: InboxPair): string => JSON.stringify([consumer, messageId]);

/**
 * Claims distinct `pairs` in one statement, for a group's flush; its answer names the pairs it
 * inserted (see {@link claimedPairs}). A pair another transaction committed is skipped; one another
 * transaction holds uncommitted makes the statement wait on the primary key until that one ends, so
 * two transactions never both claim a pair.
 */
export function inboxClaimStatement(pairs: readonly InboxPair[]): string {
  const consumers = textArrayLiteral(pairs.map(([consumer]) => consumer));
  const messageIds = textArrayLiteral(pairs.map(([, messageId]) => messageId));
  return `INSERT INTO tandem_inbox (consumer, message_id) SELECT c, m FROM unnest(${consumers}, ${messageIds}) AS r(c, m) ON CONFLICT (consumer, message_id) DO NOTHING RETURNING consumer, message_id`;
}

/** The keys (see {@link inboxKey}) of the pairs {@link inboxClaimStatement} inserted. */
export function claimedPairs(result: QueryResult | undefined): Set<string> {
  const rows = (result?.rows ?? []) as { consumer: string; message_id: string }[];
  return new Set(rows.map((row) => inboxKey([row.consumer, row.message_id])));
}
