import { TandemError } from '../errors/tandem-error.js';
import { newEventId } from '../messages/event-id.js';
import type { DomainEvent, NewEvent, RecordedEvent } from '../messages/event.js';
import type { Principal } from '../messages/principal.js';
import { ApplyFailed } from '../read-store/apply-failed.js';
import { reactCalling } from '../reactions/define-reaction.js';
import { sendReactionCommand } from '../reactions/reaction-command.js';
import type { ReactionHost } from '../reactions/reaction-host.js';
import type { WorkflowDefinition } from './define-workflow.js';
import type { WorkflowOutput } from './workflow-output.js';
import {
  scopedTimerId,
  workflowCommandSent,
  workflowHistory,
  workflowInputRecorded,
  workflowStreamId,
  workflowTimerCancelled,
  workflowTimerScheduled,
  type WorkflowCommandData,
  type WorkflowHistory,
} from './workflow-stream.js';

/** How many times a record is tried again after another writer moved the instance's stream. */
const conflictAttempts = 5;

/**
 * Takes one input of a workflow: records the decision (unless recorded already), then sends its
 * commands. See `defineWorkflow` for the steps and why a redelivery is safe.
 */
export class WorkflowStep<Input extends DomainEvent, State> {
  readonly #definition: WorkflowDefinition<Input, State>;
  readonly #host: ReactionHost;
  readonly #user: Principal;
  readonly #handler: string;

  constructor(definition: WorkflowDefinition<Input, State>, host: ReactionHost) {
    this.#definition = definition;
    this.#host = host;
    this.#user = definition.principal ?? { id: `workflow:${definition.name}`, roles: [] };
    this.#handler = `workflow ${definition.name}`;
  }

  /** Records and carries out `event`'s decision; throws `ApplyFailed` for a refusal (by policy). */
  async take(event: RecordedEvent<Input>): Promise<void> {
    const key = await reactCalling(
      this.#handler,
      (e: RecordedEvent<Input>) => this.#definition.key(e),
      event,
    );
    if (key === undefined) return;
    const streamId = workflowStreamId(this.#definition.name, key);
    let sent: readonly { readonly eventId: string; readonly data: WorkflowCommandData }[] | undefined;
    for (let attempt = 1; sent === undefined; attempt++) {
      const read = await this.#host.events.readStream(streamId);
      const history = workflowHistory<Input>(read.events, read.version, event.eventId, this.#host.upcasters);
      if (history.sent !== undefined) {
        sent = history.sent;
        break;
      }
      try {
        sent = await this.#record(event, key, streamId, history);
      } catch (error) {
        // Another writer (a replay racing the runner) recorded first: read again, and find it there.
        if (TandemError.is(error, 'concurrency-conflict') && attempt < conflictAttempts) continue;
        // A key or timer the store refuses is this input's failure, not an outage.
        if (TandemError.is(error, 'validation')) throw new ApplyFailed(error);
        throw error;
      }
    }
    for (const record of sent)
      await sendReactionCommand(
        this.#host.commands,
        record.data.command,
        `workflow:${this.#definition.name}:${record.eventId}`,
        { handler: this.#handler, event, user: this.#user },
      );
  }

  /**
   * Decides, and appends the input and its outputs to the instance's stream with the timers'
   * changes, in one transaction. Answers the commands recorded (their events' ids included).
   */
  async #record(
    event: RecordedEvent<Input>,
    key: string,
    streamId: string,
    history: WorkflowHistory<Input>,
  ): Promise<readonly { readonly eventId: string; readonly data: WorkflowCommandData }[]> {
    const definition = this.#definition;
    const outputs = await reactCalling(
      this.#handler,
      (input: RecordedEvent<Input>) => {
        let state = definition.initialState();
        for (const past of history.inputs) state = definition.evolve(state, past);
        return definition.decide(input, state);
      },
      event,
    );
    const metadata = {
      correlationId: event.metadata.correlationId ?? event.eventId,
      causationId: event.eventId,
      userId: this.#user.id,
    };
    const records: NewEvent[] = [
      {
        type: workflowInputRecorded,
        eventId: newEventId(),
        metadata,
        data: {
          eventId: event.eventId,
          type: event.type,
          schemaVersion: event.schemaVersion,
          streamId: event.streamId,
          position: event.position,
          data: event.data,
        },
      },
    ];
    const sent: { eventId: string; data: WorkflowCommandData }[] = [];
    for (const output of outputs) records.push(this.#recordOf(output, event.eventId, metadata, sent));
    await this.#host.store.transaction(async (tx) => {
      await tx.events.append([{ streamId, expectedVersion: history.version, events: records }]);
      for (const output of outputs) {
        if (output.kind === 'schedule') {
          const { timerId, command } = output.timer;
          await tx.timers.schedule({
            timerId: scopedTimerId(definition.name, key, timerId),
            command,
            at: output.timer.at === undefined ? undefined : isoTime(output.timer.at, this.#handler),
            afterMs: output.timer.afterMs,
            user: this.#user,
            correlationId: metadata.correlationId,
            causationId: event.eventId,
          });
        } else if (output.kind === 'cancel') {
          await tx.timers.cancel(scopedTimerId(definition.name, key, output.timerId));
        }
      }
    });
    return sent;
  }

  /** The event that records `output`; a command's is also added to `sent`. */
  #recordOf(
    output: WorkflowOutput,
    inputEventId: string,
    metadata: Readonly<Record<string, string>>,
    sent: { eventId: string; data: WorkflowCommandData }[],
  ): NewEvent {
    const eventId = newEventId();
    switch (output.kind) {
      case 'send': {
        const data: WorkflowCommandData = { inputEventId, command: output.command };
        sent.push({ eventId, data });
        return { type: workflowCommandSent, eventId, metadata, data };
      }
      case 'schedule': {
        const { timerId, command, at, afterMs } = output.timer;
        const when = at === undefined ? { afterMs } : { at: isoTime(at, this.#handler) };
        return {
          type: workflowTimerScheduled,
          eventId,
          metadata,
          data: { inputEventId, timerId, command, ...when },
        };
      }
      case 'cancel':
        return {
          type: workflowTimerCancelled,
          eventId,
          metadata,
          data: { inputEventId, timerId: output.timerId },
        };
      default:
        throw new ApplyFailed(
          new Error(`${this.#handler}: decide returned an unknown output ${JSON.stringify(output)}`),
        );
    }
  }
}

/** `at` as ISO-8601; a time that does not parse is the input's failure (by policy). */
function isoTime(at: Date | string, handler: string): string {
  const time = new Date(at);
  if (Number.isNaN(time.getTime()))
    throw new ApplyFailed(
      new Error(`${handler}: decide scheduled a timer at ${JSON.stringify(at)}, not a time`),
    );
  return time.toISOString();
}
