import type { Upcasters } from '../event-store/upcasters.js';
import type { DomainEvent, RecordedEvent } from '../messages/event.js';
import type { TimedCommand } from '../timers/timer-request.js';

/** The type of the event that records one input of a workflow in its stream. */
export const workflowInputRecorded = 'WorkflowInputRecorded';
/** The type of the event that records a command a workflow sends. */
export const workflowCommandSent = 'WorkflowCommandSent';
/** The type of the event that records a timer a workflow scheduled. */
export const workflowTimerScheduled = 'WorkflowTimerScheduled';
/** The type of the event that records a timer a workflow cancelled. */
export const workflowTimerCancelled = 'WorkflowTimerCancelled';

/** Data of a `WorkflowInputRecorded` event: the input event, as it was when the workflow took it. */
export interface WorkflowInputData {
  readonly eventId: string;
  readonly type: string;
  readonly schemaVersion: number;
  readonly streamId: string;
  readonly position: number;
  readonly data: unknown;
}

/** Data of a `WorkflowCommandSent` event. */
export interface WorkflowCommandData {
  /** The input it answers. */
  readonly inputEventId: string;
  readonly command: TimedCommand;
}

/** Data of a `WorkflowTimerScheduled` event. */
export interface WorkflowTimerData {
  readonly inputEventId: string;
  /** The instance's name for it (the store keeps it scoped, see `scopedTimerId`). */
  readonly timerId: string;
  readonly at?: string | undefined;
  readonly afterMs?: number | undefined;
  readonly command: TimedCommand;
}

/** Data of a `WorkflowTimerCancelled` event. */
export interface WorkflowCancelData {
  readonly inputEventId: string;
  readonly timerId: string;
}

/** The stream a workflow instance records itself in: `workflow-<name>-<key>`. */
export function workflowStreamId(name: string, key: string): string {
  return `workflow-${name}-${key}`;
}

/** The store's name for an instance's timer: unique across the workflow's instances and workflows. */
export function scopedTimerId(name: string, key: string, timerId: string): string {
  return `${name}:${key}:${timerId}`;
}

/** What a workflow instance's stream says, read back for one input. */
export interface WorkflowHistory<Input extends DomainEvent> {
  /** The stream's version: the expected version of the next record. */
  readonly version: number;
  /** Inputs recorded before, in order, in their newest shapes. */
  readonly inputs: readonly Input[];
  /**
   * When the input being handled was recorded already (a redelivery, a replay), the commands its
   * decision sent, with the ids of the events that recorded them (their idempotency keys derive
   * from those); undefined when it was not.
   */
  readonly sent: readonly RecordedEvent<DomainEvent<string, WorkflowCommandData>>[] | undefined;
}

/**
 * Reads an instance's history as far as handling `inputEventId` needs: the inputs before it (for
 * the state) and, when it was recorded already, what it sent. Inputs recorded in an older shape are
 * upgraded with `upcasters`, as events read from the log are.
 */
export function workflowHistory<Input extends DomainEvent>(
  events: readonly RecordedEvent[],
  version: number,
  inputEventId: string,
  upcasters: Upcasters,
): WorkflowHistory<Input> {
  const inputs: Input[] = [];
  let sent: RecordedEvent<DomainEvent<string, WorkflowCommandData>>[] | undefined;
  for (const event of events) {
    if (event.type === workflowInputRecorded) {
      const input = event.data as WorkflowInputData;
      if (input.eventId === inputEventId) sent = [];
      else if (sent === undefined) inputs.push(asInput<Input>(event, input, upcasters));
    } else if (event.type === workflowCommandSent && sent !== undefined) {
      const data = event.data as WorkflowCommandData;
      if (data.inputEventId === inputEventId)
        sent.push(event as RecordedEvent<DomainEvent<string, WorkflowCommandData>>);
    }
  }
  return { version, inputs, sent };
}

/** A recorded input as the event it was, in its newest shape. */
function asInput<Input extends DomainEvent>(
  record: RecordedEvent,
  input: WorkflowInputData,
  upcasters: Upcasters,
): Input {
  const upgraded = upcasters.apply({
    ...record,
    type: input.type,
    data: input.data,
    schemaVersion: input.schemaVersion,
    eventId: input.eventId,
    streamId: input.streamId,
    position: input.position,
  });
  return { type: upgraded.type, data: upgraded.data } as Input;
}
