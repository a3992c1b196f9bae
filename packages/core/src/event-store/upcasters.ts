import type { DomainEvent, RecordedEvent } from '../messages/event.js';

/** Turns the data of one event type from `fromVersion` into `fromVersion + 1`. */
export interface Upcaster {
  readonly type: string;
  readonly fromVersion: number;
  /** Pure function of the old data (and the event, for context). */
  upcast(data: unknown, event: RecordedEvent): unknown;
}

/**
 * Upgrades old event shapes on read, one version step at a time, so deciders and projections only
 * ever see the newest shape. New events are stamped with the newest version known here.
 */
export class Upcasters {
  readonly #byKey = new Map<string, Upcaster>();
  readonly #latest = new Map<string, number>();

  constructor(upcasters: readonly Upcaster[] = []) {
    for (const u of upcasters) {
      const key = `${u.type}@${u.fromVersion}`;
      if (this.#byKey.has(key)) throw new Error(`Two upcasters for ${u.type} from version ${u.fromVersion}`);
      this.#byKey.set(key, u);
      this.#latest.set(u.type, Math.max(this.#latest.get(u.type) ?? 1, u.fromVersion + 1));
    }
  }

  /** The schema version new events of `type` are written with. */
  currentVersion(type: string): number {
    return this.#latest.get(type) ?? 1;
  }

  /** Returns `event` upgraded to the current version of its type (the same object if current). */
  apply<E extends DomainEvent>(event: RecordedEvent<E>): RecordedEvent<E> {
    let current: RecordedEvent = event;
    for (;;) {
      const step = this.#byKey.get(`${current.type}@${current.schemaVersion}`);
      if (step === undefined) return current as RecordedEvent<E>;
      current = { ...current, data: step.upcast(current.data, current), schemaVersion: step.fromVersion + 1 };
    }
  }
}
