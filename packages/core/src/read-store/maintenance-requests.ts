/** What an operator can ask of a projection, from the CLI or the admin API. */
export const maintenanceActions = [
  'rebuild',
  'verify',
  'replay',
  'retry',
  'pause',
  'resume',
  'skip',
] as const;

/** One of {@link maintenanceActions}. */
export type MaintenanceAction = (typeof maintenanceActions)[number];

/** Whether `value` names a maintenance action (input from a URL or a command line). */
export function isMaintenanceAction(value: string): value is MaintenanceAction {
  return (maintenanceActions as readonly string[]).includes(value);
}

/** Where a maintenance request is: waiting for the lease holder, under way, or over. */
export type MaintenanceState = 'pending' | 'running' | 'done' | 'failed';

/** JSON a request carries (progress, result): plain objects only. */
export type MaintenanceJson = Readonly<Record<string, unknown>>;

/**
 * An operator's request, stored in the read database so that whichever process holds the
 * projection's lease performs it and every process (the CLI, any server) can follow it.
 */
export interface MaintenanceRequest {
  /** A random id (UUID). */
  readonly id: string;
  readonly projection: string;
  readonly action: MaintenanceAction;
  /**
   * The parked events a `replay` or `skip` is about (event ids); absent: every parked event
   * (replay). A `skip` always names its events.
   */
  readonly eventIds?: readonly string[];
  /** ISO-8601 time it was asked for. */
  readonly requestedAt: string;
  readonly state: MaintenanceState;
  /** The process performing it, once claimed. */
  readonly claimedBy: string | undefined;
  /** The lease epoch it was claimed under (0 without leases): a later holder may take it over. */
  readonly claimedEpoch: number | undefined;
  /** The latest progress report (a rebuild's position, head, rate). */
  readonly progress: MaintenanceJson | undefined;
  /** What it produced, once done (a verify report, replay counts...). */
  readonly result: MaintenanceJson | undefined;
  /** Why it failed, once failed. */
  readonly error: string | undefined;
  /** ISO-8601 time it ended. */
  readonly finishedAt: string | undefined;
}

/** What {@link MaintenanceRequests.enqueue} stores besides the projection and the action. */
export interface MaintenanceRequestOptions {
  /** The parked events a `replay` or `skip` is about (see {@link MaintenanceRequest.eventIds}). */
  readonly eventIds?: readonly string[];
}

/** How a claimed request ended. */
export type MaintenanceOutcome =
  | { readonly state: 'done'; readonly result: MaintenanceJson }
  | { readonly state: 'failed'; readonly error: string };

/**
 * The maintenance-request table of a read store, and the persisted pause flags. Requests are
 * claimed fenced by the claimer's lease epoch: a claim of a request still `running` succeeds only
 * for a higher epoch (its claimer lost the lease, so the new holder takes the request over), and
 * progress and outcome are written only by the claim that holds it.
 */
export interface MaintenanceRequests {
  /** Stores a new `pending` request (with `options.eventIds` when given). */
  enqueue(
    projection: string,
    action: MaintenanceAction,
    options?: MaintenanceRequestOptions,
  ): Promise<MaintenanceRequest>;
  /** One request, or undefined. */
  get(id: string): Promise<MaintenanceRequest | undefined>;
  /** Requests `pending` or `running`, oldest first. */
  open(): Promise<readonly MaintenanceRequest[]>;
  /**
   * Marks a request `running` for `owner` at `epoch` if it is `pending`, or `running` under a lower
   * epoch. True when this call claimed it.
   */
  claim(id: string, owner: string, epoch: number): Promise<boolean>;
  /** Records progress of a claimed request; ignored unless `owner` and `epoch` still hold it. */
  progress(id: string, owner: string, epoch: number, progress: MaintenanceJson): Promise<void>;
  /** Records how a claimed request ended; ignored unless `owner` and `epoch` still hold it. */
  finish(id: string, owner: string, epoch: number, outcome: MaintenanceOutcome): Promise<void>;
  /** Pauses (or resumes) a projection for every process, until changed again. */
  setPaused(projection: string, paused: boolean): Promise<void>;
  /** The projections paused now. */
  paused(): Promise<readonly string[]>;
}
