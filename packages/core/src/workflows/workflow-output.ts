import type { TimedCommand, TimerRequest } from '../timers/timer-request.js';

/** A command the workflow sends once its decision is recorded. */
export interface WorkflowSend {
  readonly kind: 'send';
  readonly command: TimedCommand;
}

/**
 * A timer the workflow schedules, in the same transaction that records its decision. Its
 * `timerId` is the workflow instance's own: `deadline` in the workflow of order 42 never meets
 * `deadline` in the workflow of order 43 (the store keeps it as `<workflow>:<key>:<timerId>`).
 */
export interface WorkflowSchedule {
  readonly kind: 'schedule';
  readonly timer: TimerRequest;
}

/** Cancels the instance's pending timer `timerId`, in the transaction that records the decision. */
export interface WorkflowCancel {
  readonly kind: 'cancel';
  readonly timerId: string;
}

/** What a workflow's `decide` returns: commands to send and timers to schedule or cancel. */
export type WorkflowOutput = WorkflowSend | WorkflowSchedule | WorkflowCancel;

/** Output: send the command `type` with `data`. */
export function sendCommand(type: string, data: unknown): WorkflowSend {
  return { kind: 'send', command: { type, data } };
}

/** Output: schedule `timer` (a command at a time, or after a delay on the database's clock). */
export function scheduleTimer(timer: TimerRequest): WorkflowSchedule {
  return { kind: 'schedule', timer };
}

/** Output: cancel the pending timer `timerId` of this workflow instance. */
export function cancelTimer(timerId: string): WorkflowCancel {
  return { kind: 'cancel', timerId };
}
