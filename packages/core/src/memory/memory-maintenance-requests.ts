import { randomUUID } from 'node:crypto';
import type {
  MaintenanceAction,
  MaintenanceJson,
  MaintenanceOutcome,
  MaintenanceRequest,
  MaintenanceRequestOptions,
  MaintenanceRequests,
} from '../read-store/maintenance-requests.js';

/**
 * Maintenance requests in memory: for the memory store, and for a daemon whose read store has no
 * table of its own (then only that process's admin API reaches it).
 */
export class MemoryMaintenanceRequests implements MaintenanceRequests {
  readonly #requests = new Map<string, MaintenanceRequest>();
  readonly #paused = new Set<string>();

  async enqueue(
    projection: string,
    action: MaintenanceAction,
    options: MaintenanceRequestOptions = {},
  ): Promise<MaintenanceRequest> {
    const request: MaintenanceRequest = {
      id: randomUUID(),
      projection,
      action,
      // A copy: the caller's array may change after the request is stored.
      ...(options.eventIds === undefined ? {} : { eventIds: [...options.eventIds] }),
      requestedAt: new Date().toISOString(),
      state: 'pending',
      claimedBy: undefined,
      claimedEpoch: undefined,
      progress: undefined,
      result: undefined,
      error: undefined,
      finishedAt: undefined,
    };
    this.#requests.set(request.id, request);
    // Finished requests are history: keep the last thousand, so a busy admin API cannot grow this.
    if (this.#requests.size > 1_000) {
      for (const [id, r] of this.#requests) {
        if (this.#requests.size <= 1_000) break;
        if (r.state === 'done' || r.state === 'failed') this.#requests.delete(id);
      }
    }
    return request;
  }

  async get(id: string): Promise<MaintenanceRequest | undefined> {
    return this.#requests.get(id);
  }

  async open(): Promise<readonly MaintenanceRequest[]> {
    return [...this.#requests.values()].filter((r) => r.state === 'pending' || r.state === 'running');
  }

  async claim(id: string, owner: string, epoch: number): Promise<boolean> {
    const request = this.#requests.get(id);
    if (request === undefined) return false;
    const free =
      request.state === 'pending' || (request.state === 'running' && (request.claimedEpoch ?? 0) < epoch);
    if (!free) return false;
    this.#requests.set(id, { ...request, state: 'running', claimedBy: owner, claimedEpoch: epoch });
    return true;
  }

  async progress(id: string, owner: string, epoch: number, progress: MaintenanceJson): Promise<void> {
    const request = this.#held(id, owner, epoch);
    if (request !== undefined) this.#requests.set(id, { ...request, progress });
  }

  async finish(id: string, owner: string, epoch: number, outcome: MaintenanceOutcome): Promise<void> {
    const request = this.#held(id, owner, epoch);
    if (request === undefined) return;
    this.#requests.set(id, {
      ...request,
      state: outcome.state,
      result: outcome.state === 'done' ? outcome.result : undefined,
      error: outcome.state === 'failed' ? outcome.error : undefined,
      finishedAt: new Date().toISOString(),
    });
  }

  async setPaused(projection: string, paused: boolean): Promise<void> {
    if (paused) this.#paused.add(projection);
    else this.#paused.delete(projection);
  }

  async paused(): Promise<readonly string[]> {
    return [...this.#paused].sort();
  }

  #held(id: string, owner: string, epoch: number): MaintenanceRequest | undefined {
    const request = this.#requests.get(id);
    return request?.state === 'running' && request.claimedBy === owner && request.claimedEpoch === epoch
      ? request
      : undefined;
  }
}
