import { inProjectionApply } from './projection-apply-scope.js';
import type { AppendResult, StreamAppend } from '../event-store/stream-append.js';
import type { Upcasters } from '../event-store/upcasters.js';
import type { RecordedEvent } from '../messages/event.js';
import type { ReadStore } from '../read-store/read-store.js';
import type { Transaction } from '../write/transaction.js';
import { projectionContext } from './projection-context.js';
import type { AnyProjection } from './projection-definition.js';
import { ProjectionNamespace } from './projection-namespace.js';

/**
 * Applies inline projections inside a command's transaction. An inline apply happens only when the
 * projection's checkpoint sits right before the command's first event (so nothing is skipped) and
 * the active storage is this code's version; otherwise the daemon catches up as for async ones.
 */
export class InlineProjections {
  readonly #projections: readonly AnyProjection[];
  readonly #readStore: ReadStore;
  readonly #upcasters: Upcasters;

  constructor(projections: readonly AnyProjection[], readStore: ReadStore, upcasters: Upcasters) {
    if (!readStore.capabilities.inline) {
      throw new Error(
        `Inline projections need a read store in the write store's database; ${readStore.name} is not`,
      );
    }
    this.#projections = projections;
    this.#readStore = readStore;
    this.#upcasters = upcasters;
  }

  /** Called by the pipeline after the command's events are appended, before it commits. */
  async apply(tx: Transaction, appends: readonly StreamAppend[], appended: AppendResult): Promise<void> {
    if (appends.length === 0) return;
    const events: RecordedEvent[] = [];
    for (const append of appends) {
      const version = appended.streams.find((s) => s.streamId === append.streamId)?.version ?? 0;
      const read = await tx.events.readStream(append.streamId, {
        fromVersion: version - append.events.length + 1,
      });
      events.push(...read.events.map((e) => this.#upcasters.apply(e)));
    }
    events.sort((a, b) => a.position - b.position);
    const first = events[0]?.position;
    const last = events.at(-1)?.position;
    if (first === undefined || last === undefined) return;
    const readTx = this.#readStore.within(tx);
    for (const projection of this.#projections) {
      const namespace = await this.#readStore.activeNamespace(projection.name);
      // This code's version only (any generation of it): another version's storage is not its to write.
      if (namespace === undefined || ProjectionNamespace.parse(namespace).version !== projection.version)
        continue;
      const checkpoint = await readTx.checkpoint(namespace);
      if (checkpoint !== first - 1) continue;
      const types = new Set<string>(projection.events);
      const relevant = events.filter((e) => types.has(e.type));
      if (relevant.length > 0)
        await inProjectionApply(projection.name, () =>
          projection.apply(relevant, projectionContext(projection, namespace, readTx)),
        );
      await readTx.saveCheckpoint(namespace, last, checkpoint);
    }
  }
}
