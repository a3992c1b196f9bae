/** The admin API's shapes, as docs/console-api (the console's contract) gives them. */

/** An event as the admin API shows it. */
export interface ShownEvent {
  readonly position: number;
  readonly eventId: string;
  readonly streamId: string;
  readonly streamVersion: number;
  readonly type: string;
  readonly schemaVersion: number;
  readonly recordedAt: string;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly data: unknown;
  readonly upcast?: { readonly schemaVersion: number; readonly data: unknown };
}

/** `GET /admin/events`. */
export interface EventPage {
  readonly events: readonly ShownEvent[];
  readonly head: number;
  readonly next: number | null;
}

/** `GET /admin/streams/{id}`. */
export interface StreamPage {
  readonly streamId: string;
  readonly version: number;
  readonly events: readonly (ShownEvent & { readonly state?: unknown })[];
  readonly next: number | null;
  readonly decider: string | null;
  readonly stateError?: string;
}

/** One projection's error, as `GET /admin/projections` gives it. */
export interface ProjectionError {
  readonly position: number;
  readonly eventId: string;
  readonly streamId: string;
  readonly type: string;
  readonly message: string;
  readonly attempts: number;
  readonly lastAt: string;
}

/** A row of `GET /admin/projections`. */
export interface ProjectionRow {
  readonly name: string;
  readonly version: number;
  readonly namespace: string;
  readonly state: string;
  readonly position: number;
  readonly head: number;
  readonly lagEvents: number;
  readonly lagSeconds: number;
  readonly parked: number;
  readonly owner: string | null;
  readonly paused: boolean;
  readonly partitions?: number;
  readonly lastError?: ProjectionError;
}

/** A maintenance request (`POST /admin/projections/{name}/{action}`, `GET …/requests/{id}`). */
export interface MaintenanceRequest {
  readonly id: string;
  readonly projection: string;
  readonly action: string;
  readonly state: 'pending' | 'running' | 'done' | 'failed';
  readonly progress?: {
    readonly position?: number;
    readonly head?: number;
    readonly fraction?: number;
    readonly eventsPerSecond?: number;
  };
  readonly result?: unknown;
  readonly error?: string;
  readonly href?: string;
}

/** A verify report (`result` of a verify request). */
export interface VerifyReport {
  readonly position: number;
  readonly ok: boolean;
  readonly collections: readonly {
    readonly collection: string;
    readonly missing: number;
    readonly unexpected: number;
    readonly different: number;
    readonly sampleIds: readonly string[];
  }[];
}

/** A row of `GET /admin/parked`. */
export interface ParkedRow {
  readonly projection: string;
  readonly namespace: string;
  readonly position: number;
  readonly eventId: string;
  readonly streamId: string;
  readonly type: string;
  readonly reason: 'failed' | 'blocked';
  readonly error: string;
  readonly attempts: number;
  readonly parkedAt: string;
  readonly event: ShownEvent | null;
}

/** `GET /admin/parked`. */
export interface ParkedPage {
  readonly parked: readonly ParkedRow[];
  readonly total: number;
  readonly next: string | null;
}

/** A row of `GET /admin/audit`. */
export interface AuditEntry {
  readonly id: number;
  readonly commandId: string;
  readonly commandType: string;
  readonly userId: string | null;
  readonly streamIds: readonly string[];
  readonly outcome: string;
  readonly errorCode: string | null;
  readonly position: number | null;
  readonly at: string;
}

/** `GET /admin/audit`. */
export interface AuditPage {
  readonly entries: readonly AuditEntry[];
  readonly next: number | null;
}

/** A readiness cause (`/health/ready`, live samples). */
export interface ReadinessCause {
  readonly kind: string;
  readonly projection?: string;
  readonly job?: string;
  readonly message: string;
}

/** One sample of `GET /admin/live`. */
export interface LiveSample {
  readonly at: string;
  readonly head: number;
  readonly commands: { readonly settled: number; readonly failed: number };
  readonly projections: readonly {
    readonly name: string;
    readonly state: string;
    readonly position: number;
    readonly lagEvents: number;
    readonly lagSeconds: number;
    readonly parked: number;
    readonly owner: string | null;
    readonly paused: boolean;
  }[];
  readonly ready: boolean;
  readonly causes: readonly ReadinessCause[];
  readonly degraded: readonly ReadinessCause[];
  readonly processes: readonly {
    readonly owner: string;
    readonly projections: readonly string[];
    readonly jobs: readonly string[];
    readonly self: boolean;
  }[];
}
