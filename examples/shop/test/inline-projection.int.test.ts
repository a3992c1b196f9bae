import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTandem, MemoryStore, type AnyProjection, type Principal } from '@tandem/core';
import { projectionNamespace } from '@tandem/core/adapter';
import { openSqliteStore } from '@tandem/sqlite';
import { shopCommands } from '@tandem/example-shop';
import { catalogMigrations } from '../src/catalog/catalog-tables.js';
import { inventoryLevels, inventoryLevelsProjection } from '../src/read-models/inventory-levels.js';

const admin: Principal = { id: 'admin', roles: ['admin'] };
const inline: AnyProjection = { ...inventoryLevelsProjection, mode: 'inline' };

async function app(projection: AnyProjection = inline) {
  const store = await openSqliteStore({ filename: ':memory:' });
  const tandem = await createTandem({
    name: 'shop',
    store,
    commands: shopCommands,
    migrations: catalogMigrations,
    projections: [projection],
  });
  await tandem.start();
  return { store, tandem };
}

describe('inline projections', () => {
  it('are current the moment the command returns, and the daemon never applies them again', async () => {
    const { store, tandem } = await app();
    const namespace = projectionNamespace('inventory-levels', 1);
    const reader = store.readStore().reader(namespace, inventoryLevels);
    const created = await tandem.execute({
      type: 'CreateProduct',
      data: { productId: 'p', name: 'P', description: '', category: 'c', price: 1, initialStock: 5 },
      user: admin,
      commandId: 'c',
    });
    assert.ok(created.ok);
    // No waiting: the checkpoint and the document committed with the command itself.
    assert.equal(await store.readStore().checkpoint(namespace), created.result.position);
    assert.equal((await reader.get('p'))?.stock, 5);
    for (let i = 0; i < 20; i++) {
      const adjusted = await tandem.execute({
        type: 'AdjustInventory',
        data: { productId: 'p', delta: 1, reason: 'restock' },
        user: admin,
      });
      assert.ok(adjusted.ok);
      assert.equal((await reader.get('p'))?.stock, 6 + i);
      assert.equal(await store.readStore().checkpoint(namespace), adjusted.result.position);
    }
    const daemon = tandem.projections;
    assert.ok(daemon !== undefined);
    assert.ok(await daemon.waitFor(['inventory-levels'], await tandem.events.headPosition(), 2_000));
    assert.equal((await reader.get('p'))?.stock, 25, 'the runner resynced instead of applying twice');
    assert.ok((await daemon.verify('inventory-levels')).ok);
    await tandem.close();
  });

  it('fail the command when their apply fails: nothing of it is written', async () => {
    const broken: AnyProjection = {
      ...inline,
      apply: async () => {
        throw new Error('inline read model is broken');
      },
    };
    const { tandem } = await app(broken);
    const head = await tandem.events.headPosition();
    const outcome = await tandem.execute({
      type: 'CreateProduct',
      data: { productId: 'p', name: 'P', description: '', category: 'c', price: 1 },
      user: admin,
      commandId: 'c',
    });
    assert.equal(outcome.ok ? undefined : outcome.error.code, 'internal');
    assert.equal(await tandem.events.headPosition(), head);
    await tandem.close();
  });

  it('are refused on a read store outside the write transaction (the memory read store is separate)', async () => {
    const store = new MemoryStore();
    await assert.rejects(
      createTandem({
        store,
        commands: [],
        projections: [inline],
        readStore: store.readStore(),
      }),
      /Inline projections need a read store in the write store's database/,
    );
  });
});
