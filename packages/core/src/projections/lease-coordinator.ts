import { createHash } from 'node:crypto';
import type { Lease, ProjectionLeases } from '../read-store/projection-leases.js';

/** Options for {@link LeaseCoordinator}. */
export interface LeaseCoordinatorOptions {
  readonly leases: ProjectionLeases;
  /** This process's id: unique per process start. */
  readonly owner: string;
  /** What can be owned: projection names (and partitions). */
  readonly units: readonly string[];
  /** A lease lapses this long after its last renewal. */
  readonly ttlMs: number;
  /** How often to renew, rebalance and pick up lapsed leases; well under `ttlMs`. */
  readonly heartbeatMs: number;
  /**
   * Takes free units only, without announcing itself as a worker: the other processes' fair
   * shares stay as they are. For a short-lived process (the CLI performing maintenance while no
   * one runs the projection), which must not make the servers give leases up for its sake.
   */
  readonly passive?: boolean;
  /** Starts work on a unit now held. */
  readonly start: (unit: string, lease: Lease) => Promise<void>;
  /** Stops work on a unit (lost or given up); resolves once nothing more will commit. */
  readonly stop: (unit: string) => Promise<void>;
  /**
   * Reports a failed round (the database is down...; the next round tries again) or a lease not
   * released at stop (it lapses instead).
   */
  readonly onError?: (error: unknown) => void;
}

/** A stable, owner-specific order, so that workers reaching for free units mostly pick different ones. */
function preference(owner: string, unit: string): string {
  return createHash('sha1').update(`${owner}/${unit}`).digest('hex');
}

/**
 * Keeps this process's fair share of leases: every heartbeat it renews what it holds, gives up
 * what exceeds `ceil(units / live workers)`, and takes free or lapsed units up to that share.
 * A process killed without warning stops renewing; its leases lapse after `ttlMs` and the others
 * take them over.
 */
export class LeaseCoordinator {
  readonly #options: LeaseCoordinatorOptions;
  readonly #held = new Map<string, Lease>();
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(options: LeaseCoordinatorOptions) {
    this.#options = options;
  }

  /** This process's owner id. */
  get owner(): string {
    return this.#options.owner;
  }

  /** Units held now. */
  get held(): ReadonlyMap<string, Lease> {
    return this.#held;
  }

  /** Runs a first round, then one every heartbeat. */
  async start(): Promise<void> {
    this.#stopped = false;
    this.#next();
    await this.#round;
    this.#timer = setInterval(() => this.#next(), this.#options.heartbeatMs);
    this.#timer.unref();
  }

  /** Forgets a lease a fenced write found lost; the next round may take the unit again. */
  lost(unit: string): void {
    this.#held.delete(unit);
  }

  /** Stops every unit and releases its lease, so others take over without waiting for expiry. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#round;
    for (const [unit, lease] of [...this.#held]) {
      await this.#options.stop(unit);
      this.#held.delete(unit);
      // Not released, it lapses after `ttlMs` instead: reported, and the others still take over.
      await this.#options.leases.release(lease).catch((error: unknown) => this.#report(error));
    }
  }

  /** Queues a round after the one in flight; `#round` never rejects, so nothing is left unhandled. */
  #next(): void {
    this.#round = this.#round.then(() =>
      this.#stopped ? undefined : this.#balance().catch((error: unknown) => this.#report(error)),
    );
  }

  #report(error: unknown): void {
    try {
      this.#options.onError?.(error);
    } catch {
      // The reporter itself failed: there is no one left to tell, and the next round goes on.
    }
  }

  async #balance(): Promise<void> {
    const { leases, owner, units, ttlMs } = this.#options;
    const workers = this.#options.passive === true ? [owner] : await leases.heartbeat(owner, ttlMs);
    const share = Math.ceil(units.length / Math.max(1, workers.length));
    for (const [unit, lease] of [...this.#held]) {
      const renewed = await leases.acquire(unit, owner, ttlMs);
      if (renewed?.epoch === lease.epoch) continue;
      // It lapsed and changed hands meanwhile (a long pause): whatever runs under the old epoch is
      // fenced off. Restart from the committed checkpoint under the new one, if we got it back.
      this.#held.delete(unit);
      await this.#options.stop(unit);
      if (renewed === undefined) continue;
      this.#held.set(unit, renewed);
      await this.#options.start(unit, renewed);
    }
    const surplus = [...this.#held.keys()].sort().slice(share);
    for (const unit of surplus) {
      const lease = this.#held.get(unit);
      this.#held.delete(unit);
      await this.#options.stop(unit);
      if (lease !== undefined) await leases.release(lease);
    }
    if (this.#held.size >= share) return;
    const taken = new Set((await leases.list()).filter((l) => l.live).map((l) => l.name));
    const free = units
      .filter((u) => !taken.has(u) && !this.#held.has(u))
      .sort((a, b) => (preference(owner, a) < preference(owner, b) ? -1 : 1));
    for (const unit of free) {
      if (this.#held.size >= share || this.#stopped) break;
      const lease = await leases.acquire(unit, owner, ttlMs);
      if (lease === undefined) continue;
      this.#held.set(unit, lease);
      try {
        await this.#options.start(unit, lease);
      } catch (error) {
        this.#held.delete(unit);
        await this.#options.stop(unit);
        await leases.release(lease);
        throw error;
      }
    }
  }
}
