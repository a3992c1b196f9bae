/**
 * What a read store can do, declared by its adapter rather than guessed from which members it
 * has. The daemon, the query bus and `createTandem` read these to refuse, at start-up and with a
 * reason, what the store cannot do (an inline projection on Redis, a `search` index on a store
 * without full-text search), and the conformance suite reads them to know which cases apply.
 */
export interface ReadStoreCapabilities {
  /**
   * Raw SQL: `ReadTransaction.sql`, `ReadTransaction.table` and projections' `setup`. Without it,
   * those throw, and a projection that declares `setup` is refused at start-up.
   */
  readonly sql: boolean;
  /** Full-text `search` indexes on collections. Without it, preparing one is refused. */
  readonly search: boolean;
  /**
   * `within(tx)`: the store shares the write store's database and transaction, so inline
   * projections can commit with the command. Without it, `within` throws and inline projections
   * are refused at start-up.
   */
  readonly inline: boolean;
  /**
   * Keeps what it holds through a restart of its server. A store that does not (Redis without
   * persistence) detects the loss, throws `ReadModelLost` from `applyBatch` and refuses reads
   * instead of answering from empty storage, and the daemon rebuilds.
   */
  readonly durable: boolean;
  /**
   * Several processes can open it, so its leases share projections between them. An in-process
   * store's leases only ever see one process.
   */
  readonly shared: boolean;
}
