/** Where one side's store lives: a PostgreSQL database (and schema), or a SQLite file. */
export type StoreLocation =
  | { readonly kind: 'postgres'; readonly url: string; readonly schema?: string }
  | { readonly kind: 'sqlite'; readonly filename: string };

/**
 * Appends of one event each, `concurrency` writers, each on its own streams of `eventsPerStream`
 * events, with the exact expected version. `warmup` appends first, untimed.
 */
export interface AppendJob {
  readonly kind: 'append';
  readonly location: StoreLocation;
  readonly concurrency: number;
  readonly appends: number;
  readonly warmup: number;
  readonly eventsPerStream: number;
}

/** Cart commands (read the stream, decide, append at its version), each writer on its own carts. */
export interface DecideJob {
  readonly kind: 'decide';
  readonly location: StoreLocation;
  readonly concurrency: number;
  readonly commands: number;
  readonly warmup: number;
  readonly commandsPerCart: number;
}

/** Writes the log for the catch-up, with a projection named `live` running during the writes. */
export interface FillJob {
  readonly kind: 'fill';
  readonly location: StoreLocation;
  readonly writers: number;
  readonly events: number;
  readonly eventsPerStream: number;
  readonly live: string;
}

/** A new projection named `projection` over the whole log, from position zero. */
export interface CatchUpJob {
  readonly kind: 'catchUp';
  readonly location: StoreLocation;
  readonly projection: string;
  /** Emmett's pulling options; undefined keeps its documented defaults. */
  readonly pulling?: { readonly batchSize: number; readonly pullingFrequencyInMs: number };
}

export type PeerJob = AppendJob | DecideJob | FillJob | CatchUpJob;

/** How a projection's deliveries compare with the events committed to the log. */
export interface DeliveryReport {
  readonly committed: number;
  /** Handler calls. */
  readonly delivered: number;
  /** Distinct committed events delivered. */
  readonly distinct: number;
  /** Committed events never delivered. */
  readonly skipped: number;
  /** Deliveries beyond the first of an event. */
  readonly repeated: number;
  /** The per-stream counts in the read model, added up. */
  readonly documented: number;
}

export interface PeerResults {
  readonly append: {
    readonly seconds: number;
    readonly committed: number;
    /** The journal mode and synchronous level the side's own connection reports, where it tells. */
    readonly durability?: string;
    /** Calls that failed with a transient error and were made again (Emmett SQLite's SQLITE_BUSY). */
    readonly retried?: number;
  };
  readonly decide: { readonly seconds: number; readonly committed: number; readonly retried?: number };
  readonly fill: {
    readonly seconds: number;
    /** Undefined when the side cannot run a projection during the writes (Emmett SQLite). */
    readonly live?: DeliveryReport;
    /**
     * Events the side's own read order puts after an event with a higher position (Emmett reads
     * by transaction id, then position, and checkpoints by position); 0 when it reads in position order.
     */
    readonly inversions: number;
  };
  readonly catchUp: { readonly seconds: number; readonly report: DeliveryReport };
}

/** One framework's implementation of every job, run inside its own worker process. */
export type PeerSide = {
  readonly [K in PeerJob['kind']]: (job: Extract<PeerJob, { kind: K }>) => Promise<PeerResults[K]>;
};
