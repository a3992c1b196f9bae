import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  ReplayPolicy,
  type ConsumerConfig,
  type ConsumerInfo,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { ResolvedConsumerOptions } from './nats-consumer-options.js';

/**
 * Deliveries JetStream allows beyond `maxDeliver`: for a dead-letter publish that failed (the server
 * briefly away), tried again at the next delivery, and for deliveries lost with an instance killed
 * while it held the message (each kill costs every message it held one delivery), which must not
 * use up a message's deliveries before its handler ever ran. Past them JetStream stops delivering
 * the message (and says so in a max-deliveries advisory): the bound the durable keeps.
 */
export const extraDeliveries = 10;

/**
 * The configuration a missing durable is created with:
 *
 * | field | value | why |
 * |---|---|---|
 * | durable_name | `durable` | survives the consumer's restarts; its name is the inbox's consumer |
 * | ack_policy | explicit | a message is done only when the consumer acknowledged it, after its commit |
 * | ack_wait | `ackWaitMs` | redelivery after a crash; the consumer extends it while it works |
 * | max_deliver | `maxDeliver` + 10 | bounded; see {@link extraDeliveries} |
 * | max_ack_pending | 4 × `batchSize` | how far JetStream runs ahead of the acknowledgements |
 * | deliver_policy | all | a new consumer starts from the stream's first message |
 * | filter_subjects | `filterSubjects` | when given |
 */
export function durableConfig(options: ResolvedConsumerOptions): Partial<ConsumerConfig> {
  return {
    durable_name: options.durable,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(options.ackWaitMs),
    max_deliver: options.maxDeliver + extraDeliveries,
    max_ack_pending: options.batchSize * 4,
    deliver_policy: DeliverPolicy.All,
    replay_policy: ReplayPolicy.Instant,
    ...(options.filterSubjects.length === 0
      ? {}
      : options.filterSubjects.length === 1
        ? { filter_subject: options.filterSubjects[0] }
        : { filter_subjects: [...options.filterSubjects] }),
  };
}

/**
 * Creates the durable with {@link durableConfig} when the stream has none of that name; an existing
 * one is left as it is (an operator may have tuned it), and what differs in a way that changes the
 * consumer's guarantees is answered as warnings, one sentence each.
 */
export async function ensureDurable(
  jsm: JetStreamManager,
  options: ResolvedConsumerOptions,
): Promise<{ readonly created: boolean; readonly warnings: readonly string[] }> {
  let info: ConsumerInfo;
  try {
    info = await jsm.consumers.info(options.stream, options.durable);
  } catch (error) {
    if (!(error instanceof JetStreamApiError) || error.code !== JetStreamApiCodes.ConsumerNotFound)
      throw error;
    await jsm.consumers.add(options.stream, durableConfig(options));
    return { created: true, warnings: [] };
  }
  return { created: false, warnings: durableWarnings(info.config, options) };
}

function durableWarnings(config: ConsumerConfig, options: ResolvedConsumerOptions): string[] {
  const warnings: string[] = [];
  if (config.ack_policy !== AckPolicy.Explicit)
    warnings.push(
      `ack_policy is ${config.ack_policy}, not explicit: a message may count as done before its commit`,
    );
  const maxDeliver = config.max_deliver ?? -1;
  if (maxDeliver > 0 && maxDeliver < options.maxDeliver)
    warnings.push(
      `max_deliver is ${maxDeliver}, below maxDeliver (${options.maxDeliver}): a failing message stops being delivered before it is dead-lettered`,
    );
  const filters = config.filter_subjects ?? (config.filter_subject ? [config.filter_subject] : []);
  if (options.filterSubjects.length > 0 && filters.join(' ') !== options.filterSubjects.join(' '))
    warnings.push(
      `filter subjects are ${JSON.stringify(filters)}, not ${JSON.stringify(options.filterSubjects)}: the existing durable's filter applies`,
    );
  return warnings;
}
