import { randomUUID } from 'node:crypto';
import { normalizedTimer } from '../timers/normalized-timer.js';
import { checkedTimerId } from '../timers/timer-id.js';
import { timerListLimit } from '../timers/timer-list-limit.js';
import type { NewTimer } from '../timers/timer-request.js';
import type { StoredTimer, TimerQuery, TimerSummary } from '../timers/timer-store.js';
import type { TransactionTimers } from '../timers/transaction-timers.js';

/** What one transaction changed, seen by its own reads and applied only on commit. */
export interface MemoryTimerStage {
  /** Timers it scheduled or settled, by unique id. */
  readonly changed: Map<string, StoredTimer>;
  /** Its view of which timer is pending per name: undefined when it settled the pending one. */
  readonly pending: Map<string, string | undefined>;
}

const bySettledDesc = (a: StoredTimer, b: StoredTimer) =>
  Date.parse(b.settledAt ?? b.scheduledAt) - Date.parse(a.settledAt ?? a.scheduledAt);

/**
 * The memory store's timers. Its clock (injectable, for tests) plays the database's. Writes are
 * staged per transaction in a {@link MemoryTimerStage} and applied by {@link MemoryTimers.commit};
 * the memory store runs transactions one at a time, so a check and a write never interleave with
 * another transaction's.
 */
export class MemoryTimers {
  /** Every timer ever scheduled, by unique id, in scheduling order. */
  readonly #timers = new Map<string, StoredTimer>();
  /** The pending timer's id per name. */
  readonly #pending = new Map<string, string>();
  readonly #clock: () => Date;
  /** Scheduling order per unique id: timers due at one instant are due in the order scheduled. */
  readonly #order = new Map<string, number>();
  #scheduled = 0;
  readonly #byDue = (a: StoredTimer, b: StoredTimer): number =>
    Date.parse(a.dueAt) - Date.parse(b.dueAt) || (this.#order.get(a.id) ?? 0) - (this.#order.get(b.id) ?? 0);

  /** @param clock - the database's clock, as the store sees it. */
  constructor(clock: () => Date) {
    this.#clock = clock;
  }

  /** A new, empty stage for a transaction. */
  stage(): MemoryTimerStage {
    return { changed: new Map(), pending: new Map() };
  }

  /** Timers as seen through `stage`, bound to it. */
  transaction(stage: MemoryTimerStage): TransactionTimers {
    return {
      schedule: async (timer) => this.#schedule(stage, timer),
      cancel: async (timerId) => this.#settlePending(stage, checkedTimerId(timerId)),
      markFired: async (id, position, outcome = 'committed') =>
        this.#settle(stage, id, { state: 'fired', outcome, position }),
    };
  }

  /** Applies what `stage` changed: the transaction committed. */
  commit(stage: MemoryTimerStage): void {
    for (const [id, timer] of stage.changed) {
      // Numbered on commit, in the order the transaction staged them.
      if (!this.#order.has(id)) this.#order.set(id, ++this.#scheduled);
      this.#timers.set(id, timer);
    }
    for (const [timerId, id] of stage.pending) {
      if (id === undefined) this.#pending.delete(timerId);
      else this.#pending.set(timerId, id);
    }
  }

  /** The database's now. */
  now(): Date {
    return this.#clock();
  }

  /** Marks `id` refused outside a transaction (the caller serializes it with transactions). */
  markRefused(id: string, errorCode: string): boolean {
    const stage = this.stage();
    const settled = this.#settle(stage, id, { state: 'refused', outcome: errorCode });
    this.commit(stage);
    return settled;
  }

  /** Pending timers due by the clock, earliest first. */
  due(limit: number): StoredTimer[] {
    const now = this.#clock().getTime();
    return this.#pendingTimers()
      .filter((t) => Date.parse(t.dueAt) <= now)
      .sort(this.#byDue)
      .slice(0, Math.max(0, limit));
  }

  /** The earliest pending due time. */
  nextDue(): string | undefined {
    return this.#pendingTimers().sort(this.#byDue)[0]?.dueAt;
  }

  /** Timers for status: pending ones earliest due first, then the others latest first. */
  list(query: TimerQuery = {}): StoredTimer[] {
    const limit = timerListLimit(query);
    const timerId = query.timerId === undefined ? undefined : checkedTimerId(query.timerId);
    const matching = [...this.#timers.values()].filter(
      (t) =>
        (query.state === undefined || t.state === query.state) &&
        (timerId === undefined || t.timerId === timerId),
    );
    const pending = matching.filter((t) => t.state === 'pending').sort(this.#byDue);
    const others = matching.filter((t) => t.state !== 'pending').sort(bySettledDesc);
    return [...pending, ...others].slice(0, limit);
  }

  /** Counts by state. */
  summary(): TimerSummary {
    const now = this.#clock();
    const counts = { pending: 0, overdue: 0, fired: 0, refused: 0, cancelled: 0 };
    let next: StoredTimer | undefined;
    for (const timer of this.#timers.values()) {
      counts[timer.state] += 1;
      if (timer.state !== 'pending') continue;
      if (Date.parse(timer.dueAt) <= now.getTime()) counts.overdue += 1;
      if (next === undefined || this.#byDue(timer, next) < 0) next = timer;
    }
    return { ...counts, ...(next === undefined ? {} : { nextDueAt: next.dueAt }), now: now.toISOString() };
  }

  #pendingTimers(): StoredTimer[] {
    const pending: StoredTimer[] = [];
    for (const id of this.#pending.values()) {
      const timer = this.#timers.get(id);
      if (timer !== undefined) pending.push(timer);
    }
    return pending;
  }

  #timer(stage: MemoryTimerStage, id: string): StoredTimer | undefined {
    return stage.changed.get(id) ?? this.#timers.get(id);
  }

  #pendingId(stage: MemoryTimerStage, timerId: string): string | undefined {
    return stage.pending.has(timerId) ? stage.pending.get(timerId) : this.#pending.get(timerId);
  }

  #schedule(stage: MemoryTimerStage, request: NewTimer): void {
    const timer = normalizedTimer(request);
    const now = this.#clock();
    this.#settlePending(stage, timer.timerId);
    const dueAt = timer.at ?? new Date(now.getTime() + (timer.afterMs ?? 0)).toISOString();
    const id = randomUUID();
    stage.changed.set(id, {
      id,
      timerId: timer.timerId,
      dueAt,
      // A copy, as a database stores it: later changes to the caller's objects do not reach it.
      command: { type: timer.command.type, data: JSON.parse(JSON.stringify(timer.command.data)) as unknown },
      user: { id: timer.user.id, roles: [...timer.user.roles] },
      ...(timer.correlationId === undefined ? {} : { correlationId: timer.correlationId }),
      ...(timer.causationId === undefined ? {} : { causationId: timer.causationId }),
      state: 'pending',
      scheduledAt: now.toISOString(),
    });
    stage.pending.set(timer.timerId, id);
  }

  /** Cancels the pending timer named `timerId`; false when none was. */
  #settlePending(stage: MemoryTimerStage, timerId: string): boolean {
    const id = this.#pendingId(stage, timerId);
    return id !== undefined && this.#settle(stage, id, { state: 'cancelled' });
  }

  #settle(
    stage: MemoryTimerStage,
    id: string,
    settlement: Pick<StoredTimer, 'state'> & Partial<Pick<StoredTimer, 'outcome' | 'position'>>,
  ): boolean {
    const timer = typeof id === 'string' ? this.#timer(stage, id) : undefined;
    if (timer === undefined || timer.state !== 'pending') return false;
    stage.changed.set(id, { ...timer, ...settlement, settledAt: this.#clock().toISOString() });
    stage.pending.set(timer.timerId, undefined);
    return true;
  }
}
