import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { boundedStorableText } from '@tandem/core/adapter';

/** The headers a dead letter carries beside the original message's own (minus its `Nats-*` ones). */
export const deadLetterHeaders = {
  /** `malformed` (not a Tandem event: never handled) or `failed` (the handler kept failing). */
  reason: 'Tandem-Dead-Letter-Reason',
  /** The last error's message, on one line, at most 500 characters. */
  error: 'Tandem-Dead-Letter-Error',
  /** How many times JetStream had delivered the message to this consumer. */
  attempts: 'Tandem-Dead-Letter-Attempts',
  /** The durable that gave up on it. */
  consumer: 'Tandem-Dead-Letter-Consumer',
  /** The subject the message was on. */
  subject: 'Tandem-Dead-Letter-Subject',
  /** Its stream and sequence there (`TANDEM:42`): where to find the original. */
  source: 'Tandem-Dead-Letter-Source',
} as const;

/** Why a message was dead-lettered. */
export type DeadLetterReason = 'malformed' | 'failed';

/** One line of text fit for a header: no line breaks or other control characters, bounded. */
function headerText(text: string): string {
  return boundedStorableText(text.replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, ' '), 500);
}

/**
 * The dead letter's headers: the original's, except JetStream's own `Nats-*` ones (its `Nats-Msg-Id`
 * is the event id: kept, it would make JetStream drop the dead letter as a duplicate of the event),
 * plus {@link deadLetterHeaders}.
 */
export function deadLetterHeadersFor(
  msg: Pick<JsMsg, 'headers' | 'subject' | 'info'>,
  reason: DeadLetterReason,
  error: unknown,
): MsgHdrs {
  const out = natsHeaders();
  for (const [name, values] of msg.headers ?? []) {
    if (name.toLowerCase().startsWith('nats-')) continue;
    for (const value of values) out.append(name, value);
  }
  out.set(deadLetterHeaders.reason, reason);
  out.set(deadLetterHeaders.error, headerText(error instanceof Error ? error.message : String(error)));
  out.set(deadLetterHeaders.attempts, String(msg.info.deliveryCount));
  out.set(deadLetterHeaders.consumer, headerText(msg.info.consumer));
  out.set(deadLetterHeaders.subject, headerText(msg.subject));
  out.set(deadLetterHeaders.source, headerText(`${msg.info.stream}:${msg.info.streamSequence}`));
  return out;
}

/**
 * Publishes the message's body and headers to `subject` and waits for JetStream to store it. Its
 * message id is `dead-letter:<durable>:<stream sequence>`: a consumer that dies after publishing and
 * before terminating the original publishes it again on the redelivery, and JetStream drops that copy.
 * @throws whatever the publish threw (no stream captures the subject, a timeout): the caller then
 * leaves the original to be delivered again.
 */
export async function publishDeadLetter(
  js: JetStreamClient,
  subject: string,
  msg: JsMsg,
  reason: DeadLetterReason,
  error: unknown,
): Promise<void> {
  await js.publish(subject, msg.data, {
    headers: deadLetterHeadersFor(msg, reason, error),
    msgID: `dead-letter:${msg.info.consumer}:${msg.info.streamSequence}`,
  });
}
