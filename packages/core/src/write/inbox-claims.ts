import { TandemError } from '../errors/tandem-error.js';
import { identifierIssue } from '../messages/storable-text.js';

/**
 * The inbox: which messages from outside (a broker's deliveries) a consumer has already handled,
 * recorded in the same transaction as the handler's effects. A broker delivers at least once: a
 * consumer that dies between its commit and its acknowledgement gets the message again, and the
 * claim, committed with the first run's effects, turns the redelivery into a no-op.
 */
export interface InboxClaims {
  /**
   * Records, in this transaction, that `consumer` handled `messageId`. False when it already had
   * (committed by an earlier transaction, or claimed earlier in this one): the caller must then do
   * nothing, since this is a redelivery. Two concurrent claims of one pair never both answer true;
   * a claim rolled back with its transaction leaves the pair claimable again. Both parts must be
   * {@link inboxKeyLimit}-bounded printable text every store can hold, or the claim throws a
   * `validation` error (see {@link checkedInboxKey}).
   */
  claim(consumer: string, messageId: string): Promise<boolean>;
}

/** The longest consumer name or message id an inbox claim accepts, in UTF-16 code units. */
export const inboxKeyLimit = 256;

/**
 * `value` when it can be one part of an inbox claim: 1 to {@link inboxKeyLimit} characters, text
 * every store holds unchanged (no U+0000, no lone surrogate) and no control or invisible characters
 * (the ids end up in logs). Otherwise a `validation` error naming `what`. Every store checks with
 * this before it writes, so a hostile message id is refused the same way everywhere, and a consumer
 * can dead-letter the message instead of failing a database statement.
 */
export function checkedInboxKey(value: string, what: 'consumer' | 'messageId'): string {
  const issue = typeof value === 'string' ? identifierIssue(value, inboxKeyLimit) : 'must be a string';
  if (issue === undefined) return value;
  throw new TandemError('validation', `Inbox ${what} ${issue}`, {
    details: { issues: [{ path: what, message: issue }] },
  });
}
