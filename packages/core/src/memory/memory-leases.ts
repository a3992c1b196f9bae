import type { Lease, LeaseInfo, ProjectionLeases } from '../read-store/projection-leases.js';

/** Leases for processes sharing one memory read store: in practice, tests of the coordination. */
export class MemoryLeases implements ProjectionLeases {
  readonly #leases = new Map<string, { owner: string; epoch: number; expiresAt: number }>();
  readonly #workers = new Map<string, number>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  async heartbeat(owner: string, ttlMs: number): Promise<readonly string[]> {
    const now = this.#now();
    this.#workers.set(owner, now + ttlMs);
    return [...this.#workers]
      .filter(([, until]) => until > now)
      .map(([name]) => name)
      .sort();
  }

  async acquire(name: string, owner: string, ttlMs: number): Promise<Lease | undefined> {
    const now = this.#now();
    const held = this.#leases.get(name);
    if (held !== undefined && held.owner !== owner && held.expiresAt > now) return undefined;
    const epoch = held === undefined ? 1 : held.owner === owner ? held.epoch : held.epoch + 1;
    this.#leases.set(name, { owner, epoch, expiresAt: now + ttlMs });
    return { name, owner, epoch };
  }

  async release(lease: Lease): Promise<void> {
    const held = this.#leases.get(lease.name);
    if (held?.owner === lease.owner && held.epoch === lease.epoch) held.expiresAt = 0;
  }

  async list(): Promise<readonly LeaseInfo[]> {
    const now = this.#now();
    return [...this.#leases].map(([name, l]) => ({
      name,
      owner: l.owner,
      epoch: l.epoch,
      expiresAt: new Date(l.expiresAt).toISOString(),
      live: l.expiresAt > now,
    }));
  }

  /** Whether `lease` is still the current holder (the fence of a checkpoint write). */
  holds(lease: Lease): boolean {
    const held = this.#leases.get(lease.name);
    return held?.owner === lease.owner && held.epoch === lease.epoch;
  }
}
