import type { StandardSchemaV1 } from '@standard-schema/spec';
import { createTandem, defineCommand, type Store, type Tandem } from '@tandem/core';

/** Accepts `{ note?: string }`; hand-written so the CLI tests need no validator library. */
const pingSchema: StandardSchemaV1<unknown, { note?: string }> = {
  '~standard': {
    version: 1,
    vendor: 'cli-test',
    validate(value) {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return { issues: [{ message: 'Expected an object' }] };
      const { note } = value as { note?: unknown };
      if (note !== undefined && typeof note !== 'string')
        return { issues: [{ message: 'Expected a string', path: ['note'] }] };
      return { value: note === undefined ? {} : { note } };
    },
  },
};

/** Appends one `Pinged` event to the `pings` stream. */
export const Ping = defineCommand({ type: 'Ping', schema: pingSchema }).eventSourcedMany(
  async ({ data }, streams) => {
    await streams.load('pings', { initialState: () => null, evolve: () => null });
    return [{ streamId: 'pings', events: [{ type: 'Pinged', data: { note: data.note ?? '' } }] }];
  },
);

/** A bug in a handler, as it reaches a server: a plain Error with a cause only the log may show. */
export const Crash = defineCommand({ type: 'Crash', schema: pingSchema }).eventSourcedMany(async () => {
  throw new Error('handler bug: ledger offset out of range');
});

/** The smallest application the CLI can serve, migrate and audit. */
export function createPingApp(store: Store): Promise<Tandem> {
  return createTandem({ store, commands: [Ping, Crash] });
}
