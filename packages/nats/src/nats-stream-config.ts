import {
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';

/**
 * How long JetStream remembers a message id to drop a second copy: 2 minutes. It bounds how late a
 * replay is still deduplicated by the server: a relay that crashed after publishing and before
 * checkpointing republishes within seconds (its lease expires, a worker takes over), well inside
 * it. Longer costs memory per message id at the server's ingest rate; past it, a replay lands twice
 * and the consumer's inbox (keyed by event id) drops it.
 */
export const defaultDuplicateWindowMs = 120_000;

/**
 * The configuration the relay creates its JetStream stream with when it is missing. `overrides`
 * (the publisher's `streamConfig` option) replace single fields, e.g. `max_age` or `num_replicas`.
 *
 * | field | default | why |
 * |---|---|---|
 * | subjects | `<prefix>.>` | every relayed event, and nothing else |
 * | storage | file | survives a server restart |
 * | retention | limits | consumers come and go; messages stay until a limit |
 * | discard | old | at a limit the oldest go, publishing never stops |
 * | duplicate_window | 2 min | see {@link defaultDuplicateWindowMs} |
 * | max_age, max_bytes, max_msgs | unlimited | the operator sets the budget |
 * | num_replicas | 1 | one server; set 3 on a cluster |
 * | deny_delete | true | relayed history is not edited message by message |
 */
export function relayStreamConfig(
  stream: string,
  subjectPrefix: string,
  overrides: Partial<StreamConfig> = {},
): Partial<StreamConfig> & { name: string } {
  return {
    subjects: [`${subjectPrefix}.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    duplicate_window: nanos(defaultDuplicateWindowMs),
    max_age: 0,
    max_bytes: -1,
    max_msgs: -1,
    num_replicas: 1,
    deny_delete: true,
    ...overrides,
    name: stream,
  };
}

/** Whether subject filter `filter` captures every subject `<prefix>.<anything>`. */
export function capturesPrefix(filter: string, subjectPrefix: string): boolean {
  const tokens = filter.split('.');
  const prefix = subjectPrefix.split('.');
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === '>') return true;
    if (i >= prefix.length) return false; // `<prefix>.*` or longer: not every subject below
    if (token !== '*' && token !== prefix[i]) return false;
  }
  return false;
}

/**
 * What an existing stream does differently from what the relay needs or would have created: the
 * relay leaves an existing stream's configuration alone (an operator may have tuned it), but says
 * what may surprise. Each entry is one sentence.
 */
export function streamConfigWarnings(info: StreamInfo, wanted: Partial<StreamConfig>): string[] {
  const config = info.config;
  const warnings: string[] = [];
  if (config.storage !== wanted.storage)
    warnings.push(
      `storage is ${config.storage}, not ${String(wanted.storage)}: a server restart may lose messages`,
    );
  if (config.retention !== wanted.retention)
    warnings.push(`retention is ${config.retention}: messages may go before every consumer read them`);
  if (config.discard !== wanted.discard)
    warnings.push(`discard is ${config.discard}: at a limit the relay's publishes fail until space frees`);
  const window = wanted.duplicate_window ?? 0;
  if ((config.duplicate_window ?? 0) < window)
    warnings.push(
      `duplicate_window is ${(config.duplicate_window ?? 0) / 1e6} ms, under ${window / 1e6} ms: fewer replays are dropped by the server (the consumer inbox still drops them)`,
    );
  return warnings;
}

/**
 * Whether subject filter `filter` (`*` one token, `>` one or more at the end) matches the literal
 * subject `subject`.
 */
export function subjectMatches(filter: string, subject: string): boolean {
  const tokens = filter.split('.');
  const parts = subject.split('.');
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === '>') return parts.length > i;
    if (i >= parts.length) return false;
    if (token !== '*' && token !== parts[i]) return false;
  }
  return tokens.length === parts.length;
}
