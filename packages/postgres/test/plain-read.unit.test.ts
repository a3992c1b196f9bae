import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPlainRead } from '../src/postgres-transaction-group.js';

describe('isPlainRead: which SQL a group member may send without a turn', () => {
  it('takes plain SELECTs and WITH ... SELECT, whatever the quoted text says', () => {
    assert.ok(isPlainRead('SELECT name, state FROM shop_customers WHERE customer_id = ?'));
    assert.ok(isPlainRead("  select * from t where note = 'please update; delete'"));
    assert.ok(isPlainRead('WITH x AS (SELECT 1 AS a) SELECT a FROM x'));
  });

  it('refuses writes, locking reads, several statements and anything else', () => {
    for (const sql of [
      'SELECT n FROM counter WHERE id = 1 FOR UPDATE',
      'SELECT n FROM counter FOR NO KEY UPDATE',
      'SELECT n FROM counter FOR SHARE',
      'WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d',
      'UPDATE t SET n = 1',
      'INSERT INTO t VALUES (1)',
      'SELECT 1; DELETE FROM t',
      'LOCK TABLE t',
      'CALL p()',
    ])
      assert.equal(isPlainRead(sql), false, sql);
  });
});
