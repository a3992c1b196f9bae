import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { defineProjection } from '@tandem/core';
import { namespaceOf, projectionNamespace, ProjectionNamespace } from '@tandem/core/adapter';

const names = fc.stringMatching(/^[a-z][a-z0-9-]{0,62}$/);
const generations = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,62}$/);
const parts = fc
  .record({
    projection: names,
    version: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    partitions: fc.integer({ min: 1, max: 64 }),
    generation: fc.option(generations, { nil: undefined }),
  })
  .chain((p) =>
    fc
      .option(fc.integer({ min: 0, max: p.partitions - 1 }), { nil: undefined })
      // An unpartitioned namespace has no lanes: its own checkpoint is the only one.
      .map((partition) => ({ ...p, partition: p.partitions === 1 ? undefined : partition })),
  );

describe('ProjectionNamespace', () => {
  it('reads every form the daemon writes', () => {
    const cases: [string, Partial<ProjectionNamespace>][] = [
      [
        'orders@1',
        { projection: 'orders', version: 1, partitions: 1, generation: undefined, partition: undefined },
      ],
      ['order-summaries@12', { projection: 'order-summaries', version: 12, partitions: 1 }],
      ['orders@2x4', { projection: 'orders', version: 2, partitions: 4, generation: undefined }],
      ['orders@1~rlx2k9', { projection: 'orders', version: 1, generation: 'rlx2k9', partition: undefined }],
      ['orders@1~verify', { projection: 'orders', version: 1, generation: 'verify' }],
      ['orders@2x4#3', { projection: 'orders', version: 2, partitions: 4, partition: 3 }],
      [
        'orders@2x4~r1#0',
        { projection: 'orders', version: 2, partitions: 4, generation: 'r1', partition: 0 },
      ],
    ];
    for (const [text, expected] of cases) {
      const parsed = ProjectionNamespace.parse(text);
      for (const [key, value] of Object.entries(expected))
        assert.equal(parsed[key as keyof ProjectionNamespace], value, `${text}: ${key}`);
      assert.equal(parsed.toString(), text, 'formats back to the same text');
      assert.equal(JSON.stringify({ ns: parsed }), JSON.stringify({ ns: text }));
    }
  });

  it('formats from its parts, and parse reads back the same parts (property)', () => {
    fc.assert(
      fc.property(parts, (p) => {
        const namespace = ProjectionNamespace.of(p);
        const again = ProjectionNamespace.parse(namespace.toString());
        assert.deepEqual(
          [again.projection, again.version, again.partitions, again.generation, again.partition],
          [p.projection, p.version, p.partitions, p.generation, p.partition],
        );
        assert.ok(again.equals(namespace));
        assert.ok(again.equals(namespace.toString()));
      }),
    );
  });

  it('keeps the text the public helpers always produced', () => {
    assert.equal(projectionNamespace('orders', 3), 'orders@3');
    assert.equal(projectionNamespace('orders', 3, 'rabc'), 'orders@3~rabc');
    assert.equal(projectionNamespace('orders', 3, undefined, 4), 'orders@3x4');
    assert.equal(projectionNamespace('orders', 3, 'verify', 4), 'orders@3x4~verify');
    const partitioned = defineProjection({
      name: 'lanes',
      version: 2,
      events: [],
      collections: {},
      partitions: 8,
      apply: async () => {},
    });
    assert.equal(namespaceOf(partitioned), 'lanes@2x8');
    assert.equal(namespaceOf(partitioned, 'r1'), 'lanes@2x8~r1');
  });

  it('moves between generations and partitions without losing the rest', () => {
    const live = ProjectionNamespace.parse('orders@2x4');
    const rebuild = live.withGeneration(ProjectionNamespace.rebuildGeneration(1_700_000_000_000));
    assert.equal(rebuild.toString(), 'orders@2x4~rloyw3v28');
    assert.equal(rebuild.rebuilding, true);
    assert.equal(live.withGeneration('verify').rebuilding, false);
    assert.equal(live.rebuilding, false);
    assert.ok(rebuild.withoutGeneration().equals(live));
    assert.equal(rebuild.withPartition(2).toString(), 'orders@2x4~rloyw3v28#2');
    assert.ok(rebuild.withPartition(2).withoutPartition().equals(rebuild));
    assert.equal(live.equals('orders@2x4#0'), false);
    assert.equal(live.equals('orders@2'), false);
  });

  it('orders rebuild generations by time as text, so the newest sorts last', () => {
    const at = [1_700_000_000_000, 1_700_000_000_001, 1_800_000_000_000, 2_000_000_000_000];
    const texts = at.map((t) => ProjectionNamespace.rebuildGeneration(t));
    assert.deepEqual([...texts].sort(), texts);
  });

  it('refuses malformed text with a message naming it', () => {
    for (const text of [
      '',
      'orders',
      'orders@',
      '@1',
      'Orders@1',
      'orders_v@1',
      'orders@0',
      'orders@01',
      'orders@1.5',
      'orders@-1',
      'orders@1x',
      'orders@1x1',
      'orders@1x0',
      'orders@1x65',
      'orders@1x04',
      'orders@1~',
      'orders@1~Gen',
      'orders@1~a~b',
      'orders@1#0',
      'orders@1x4#4',
      'orders@1x4#01',
      'orders@1x4#',
      'orders@1@2',
      'orders@1 ',
      'orders@99999999999999999',
      `${'a'.repeat(64)}@1`,
    ]) {
      assert.throws(
        () => ProjectionNamespace.parse(text),
        (error: unknown) =>
          error instanceof Error && error.message.startsWith('Malformed projection namespace'),
        JSON.stringify(text),
      );
      assert.equal(ProjectionNamespace.tryParse(text), undefined, JSON.stringify(text));
    }
  });

  it('refuses parts out of range', () => {
    const bad: Parameters<typeof ProjectionNamespace.of>[0][] = [
      { projection: 'orders', version: 0 },
      { projection: 'orders', version: 1.5 },
      { projection: 'a b', version: 1 },
      { projection: 'orders', version: 1, partitions: 0 },
      { projection: 'orders', version: 1, partitions: 65 },
      { projection: 'orders', version: 1, generation: 'a#b' },
      { projection: 'orders', version: 1, generation: '' },
      { projection: 'orders', version: 1, partition: 0 },
      { projection: 'orders', version: 1, partitions: 2, partition: 2 },
      { projection: 'orders', version: 1, partitions: 2, partition: -1 },
    ];
    for (const parts of bad)
      assert.throws(
        () => ProjectionNamespace.of(parts),
        /Malformed projection namespace/,
        JSON.stringify(parts),
      );
    assert.throws(() => projectionNamespace('orders', 1, 'two words'), /Malformed projection namespace/);
  });

  it('never throws anything but its refusal on arbitrary text (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        const parsed = ProjectionNamespace.tryParse(text);
        if (parsed !== undefined) assert.equal(parsed.toString(), text, 'only canonical text parses');
      }),
    );
  });
});
